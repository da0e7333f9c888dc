package io.melodyud.ops.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.melodyud.contracts.config.ConfigLoader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests ({@code ops/k8s}): every document valid against the Kubernetes API types (strictly, see
 * {@link KubernetesSchema}), and wired the way the applications need: state on volumes, standbys, probes on the
 * Streams state, advertised host names, settings the applications know, credentials from Secrets only.
 */
class DeploymentManifestsTest {

    private static final Path K8S = Path.of("k8s");
    private static final Path ROOT = Path.of("..");
    private static final String NAMESPACE = "melody";

    /** The topology applications and their main classes. */
    private static final Map<String, String> STREAMS_APPS = Map.of(
        "play-analytics", "io.melodyud.topologies.plays.PlayAnalyticsApp",
        "ad-reports", "io.melodyud.topologies.ads.AdReportsApp",
        "royalties", "io.melodyud.topologies.royalties.RoyaltiesApp");
    private static final Map<String, String> DEPLOYMENTS = Map.of(
        "cdc", "io.melodyud.connectors.cdc.CdcApp",
        "clickhouse-sink", "io.melodyud.sinks.clickhouse.ClickHouseSinkApp",
        "postgres-sink", "io.melodyud.sinks.postgres.PostgresSinkApp");
    /**
     * Settings the manifests set before the applications of this branch declare them: metrics.port is the
     * metrics work of the same issue (docs/operations.md). Anything else unknown to an application is an error.
     */
    private static final Set<String> PENDING_SETTINGS = Set.of("metrics.port");

    private static final List<HasMetadata> resources = new ArrayList<>();
    private static final Map<HasMetadata, Path> fileOf = new HashMap<>();

    @BeforeAll
    static void load() throws Exception {
        try (Stream<Path> files = Files.walk(K8S)) {
            for (final Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                if (file.getFileName().toString().equals("kustomization.yaml")) {
                    continue;
                }
                for (final JsonNode document : KubernetesSchema.documents(Files.readString(file))) {
                    try {
                        final HasMetadata resource = KubernetesSchema.validate(document);
                        resources.add(resource);
                        fileOf.put(resource, file);
                    } catch (final KubernetesSchema.InvalidManifest e) {
                        throw new AssertionError(file + ": " + e.getMessage(), e);
                    }
                }
            }
        }
    }

    // ---- the schema check itself ----

    @Test
    void everyDocumentIsAValidKubernetesObjectInTheNamespace() {
        assertTrue(resources.size() >= 20, "documents: " + resources.size());
        for (final HasMetadata resource : resources) {
            if (!(resource instanceof io.fabric8.kubernetes.api.model.Namespace)) {
                assertEquals(NAMESPACE, resource.getMetadata().getNamespace(), name(resource));
            }
            assertEquals("melody", resource.getMetadata().getLabels().get("app.kubernetes.io/part-of"),
                name(resource) + " lacks the part-of label");
        }
    }

    @Test
    void theSchemaCheckRejectsAMisspeltFieldAWrongTypeAndAnUnknownKind() throws Exception {
        final String valid = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: demo, namespace: melody}
            spec:
              replicas: 2
              selector: {matchLabels: {app: demo}}
              template:
                metadata: {labels: {app: demo}, annotations: {prometheus.io/port: "9400"}}
                spec:
                  containers:
                    - name: demo
                      image: demo:1
                      ports: [{name: metrics, containerPort: 9400}]
                      env: [{name: MELODY_METRICS_PORT, value: "9400"}]
            """;
        KubernetesSchema.validate(KubernetesSchema.documents(valid).get(0));
        final Map<String, String> broken = new LinkedHashMap<>();
        broken.put("misspelt field", valid.replace("replicas: 2", "replica: 2"));
        broken.put("misspelt nested field", valid.replace("containerPort: 9400", "containerport: 9400"));
        broken.put("field at the wrong level", valid.replace("  replicas: 2\n", "  replicas: 2\n  image: x\n"));
        broken.put("number as text", valid.replace("replicas: 2", "replicas: \"2\""));
        broken.put("word for a number", valid.replace("replicas: 2", "replicas: two"));
        broken.put("unquoted env value", valid.replace("value: \"9400\"", "value: 9400"));
        broken.put("unquoted annotation", valid.replace("prometheus.io/port: \"9400\"", "prometheus.io/port: 9400"));
        broken.put("list for an object", valid.replace("selector: {matchLabels: {app: demo}}",
            "selector: [app]"));
        broken.put("unknown kind", valid.replace("kind: Deployment", "kind: Deploymnet"));
        broken.put("wrong apiVersion", valid.replace("apiVersion: apps/v1", "apiVersion: v1"));
        for (final Map.Entry<String, String> manifest : broken.entrySet()) {
            final KubernetesSchema.InvalidManifest e = assertThrows(KubernetesSchema.InvalidManifest.class,
                () -> KubernetesSchema.validate(KubernetesSchema.documents(manifest.getValue()).get(0)),
                manifest.getKey() + " passed");
            assertFalse(e.getMessage().isBlank());
        }
        final KubernetesSchema.InvalidManifest e = assertThrows(KubernetesSchema.InvalidManifest.class,
            () -> KubernetesSchema.validate(KubernetesSchema.documents(broken.get("misspelt nested field")).get(0)));
        assertTrue(e.getMessage().contains("spec.template.spec.containers[0].ports[0]")
            && e.getMessage().contains("containerport"), e.getMessage());
        assertThrows(IOException.class, () -> KubernetesSchema.documents("a: 1\na: 2\n"), "duplicate key");
    }

    @Test
    void kustomizationAppliesEveryManifestButTheOneOffJob() throws IOException {
        final JsonNode kustomization = new ObjectMapper(new YAMLFactory()).readTree(K8S.resolve("kustomization.yaml")
            .toFile());
        final Set<String> listed = new HashSet<>();
        kustomization.get("resources").forEach(r -> listed.add(r.asText()));
        final Set<String> files = new HashSet<>();
        try (Stream<Path> top = Files.list(K8S)) {
            top.filter(f -> f.toString().endsWith(".yaml") && !f.endsWith("kustomization.yaml"))
                .forEach(f -> files.add(f.getFileName().toString()));
        }
        assertEquals(files, listed);
        assertEquals(NAMESPACE, kustomization.get("namespace").asText());
        assertTrue(Files.exists(K8S.resolve("jobs/cdc-provision.yaml")));
    }

    // ---- the topology applications ----

    @Test
    void topologiesAreStatefulSetsWithStateOnAVolumeAndStandbys() throws IOException {
        for (final Map.Entry<String, String> app : STREAMS_APPS.entrySet()) {
            final StatefulSet set = one(StatefulSet.class, app.getKey());
            final Container container = container(set.getSpec().getTemplate(), app.getKey());
            assertEquals(app.getValue(), mainClass(container), app.getKey());
            final Properties settings = settingsOf(set.getSpec().getTemplate(), container);
            assertTrue(Integer.parseInt(settings.getProperty("kafka.num.standby.replicas", "0")) >= 1,
                app.getKey() + ": kafka.num.standby.replicas");
            assertTrue(set.getSpec().getReplicas() >= 2, app.getKey() + ": a standby needs another instance");

            // state.dir is the mount of the claim template, so that state survives restarts.
            assertEquals(1, set.getSpec().getVolumeClaimTemplates().size(), app.getKey());
            final String claim = set.getSpec().getVolumeClaimTemplates().get(0).getMetadata().getName();
            final VolumeMount stateMount = container.getVolumeMounts().stream()
                .filter(m -> m.getName().equals(claim)).findFirst().orElseThrow();
            assertEquals(stateMount.getMountPath(), settings.getProperty("state.dir"), app.getKey() + ": state.dir");
            assertTrue(set.getSpec().getVolumeClaimTemplates().get(0).getSpec().getAccessModes()
                .contains("ReadWriteOnce"));

            final PodDisruptionBudget budget = one(PodDisruptionBudget.class, app.getKey());
            assertEquals(set.getSpec().getSelector().getMatchLabels(), budget.getSpec().getSelector().getMatchLabels());
            assertEquals(1, budget.getSpec().getMaxUnavailable().getIntVal(), app.getKey());
        }
    }

    @Test
    void eachInstanceAdvertisesItsNameUnderTheHeadlessService() throws IOException {
        for (final String app : STREAMS_APPS.keySet()) {
            final StatefulSet set = one(StatefulSet.class, app);
            final Service headless = one(Service.class, set.getSpec().getServiceName());
            assertEquals("None", headless.getSpec().getClusterIP(), app);
            assertTrue(Boolean.TRUE.equals(headless.getSpec().getPublishNotReadyAddresses()),
                app + ": a rebalancing instance must stay reachable for forwarded queries");
            assertTrue(selects(headless.getSpec().getSelector(), set.getSpec().getTemplate()), app);

            final Container container = container(set.getSpec().getTemplate(), app);
            final List<EnvVar> env = container.getEnv();
            final int podName = indexOf(env, "POD_NAME");
            final int podNamespace = indexOf(env, "POD_NAMESPACE");
            final int advertised = indexOf(env, ConfigLoader.envName("http.advertised.host"));
            assertEquals("metadata.name", env.get(podName).getValueFrom().getFieldRef().getFieldPath());
            assertEquals("metadata.namespace", env.get(podNamespace).getValueFrom().getFieldRef().getFieldPath());
            // $(VAR) expands only variables defined earlier in the list.
            assertTrue(podName < advertised && podNamespace < advertised, app + ": env order");
            assertEquals("$(POD_NAME)." + headless.getMetadata().getName() + ".$(POD_NAMESPACE).svc.cluster.local",
                env.get(advertised).getValue(), app);

            final Properties settings = settingsOf(set.getSpec().getTemplate(), container);
            final int port = Integer.parseInt(settings.getProperty("http.port"));
            assertEquals(port, headless.getSpec().getPorts().get(0).getPort(), app);
            assertEquals(port, portNumber(container, headless.getSpec().getPorts().get(0).getTargetPort()
                .getStrVal()), app);
        }
    }

    @Test
    void livenessFollowsHealthAndReadinessWantsRunning() {
        for (final String app : STREAMS_APPS.keySet()) {
            final StatefulSet set = one(StatefulSet.class, app);
            final Container container = container(set.getSpec().getTemplate(), app);
            final Probe liveness = container.getLivenessProbe();
            assertEquals("/health", liveness.getHttpGet().getPath(), app);
            assertNotNull(container.getStartupProbe(), app + ": startup probe");
            assertEquals("/health", container.getStartupProbe().getHttpGet().getPath(), app);
            // /health is 200 for REBALANCING too (alive); readiness must also require RUNNING.
            final Probe readiness = container.getReadinessProbe();
            assertNotNull(readiness.getExec(), app + ": readiness reads the state from /health's body");
            final String command = String.join(" ", readiness.getExec().getCommand());
            final String port = Integer.toString(portNumber(container, liveness.getHttpGet().getPort().getStrVal()));
            assertTrue(command.contains("/health") && command.contains("\"RUNNING\"")
                && command.contains("/" + port + " "), app + ": " + command);
            assertTrue(readiness.getPeriodSeconds() <= liveness.getPeriodSeconds(), app);
        }
    }

    // ---- CDC and the sinks ----

    @Test
    void cdcRunsAloneAndIsReplacedNotRolled() {
        final Deployment cdc = one(Deployment.class, "cdc");
        assertEquals(1, cdc.getSpec().getReplicas());
        assertEquals("Recreate", cdc.getSpec().getStrategy().getType());
        final Container container = container(cdc.getSpec().getTemplate(), "cdc");
        assertEquals(DEPLOYMENTS.get("cdc"), mainClass(container));
        assertEquals("run", container.getCommand().get(container.getCommand().size() - 1));
        final Job provision = one(Job.class, "cdc-provision");
        final Container provisioner = provision.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals("provision", provisioner.getCommand().get(provisioner.getCommand().size() - 1));
        // The streaming pod never holds the admin password.
        assertTrue(secretsOf(cdc.getSpec().getTemplate()).stream().noneMatch(s -> s.contains("admin")));
        assertTrue(secretsOf(provision.getSpec().getTemplate()).contains("melody-cdc-admin"));
    }

    @Test
    void sinksAreDeploymentsThatKeepOneInstanceDuringUpdates() {
        for (final String app : List.of("clickhouse-sink", "postgres-sink")) {
            final Deployment sink = one(Deployment.class, app);
            assertEquals(DEPLOYMENTS.get(app), mainClass(container(sink.getSpec().getTemplate(), app)));
            assertEquals("RollingUpdate", sink.getSpec().getStrategy().getType());
            assertEquals(0, sink.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal(), app);
        }
    }

    // ---- everything that runs ----

    @Test
    void podsAreScrapedOnTheirMetricsPort() throws IOException {
        for (final Map.Entry<HasMetadata, PodTemplateSpec> workload : workloads().entrySet()) {
            if (workload.getKey() instanceof Job) {
                continue; // a one-off task: nothing to scrape
            }
            final PodTemplateSpec pod = workload.getValue();
            final Map<String, String> annotations = pod.getMetadata().getAnnotations();
            final String app = pod.getMetadata().getLabels().get("app.kubernetes.io/name");
            assertEquals("true", annotations.get("prometheus.io/scrape"), app);
            assertEquals("/metrics", annotations.get("prometheus.io/path"), app);
            final int port = Integer.parseInt(annotations.get("prometheus.io/port"));
            final Container container = pod.getSpec().getContainers().get(0);
            assertTrue(container.getPorts().stream().anyMatch(p -> p.getContainerPort() == port), app + ": " + port);
            final Properties settings = settingsOf(pod, container);
            final String served = STREAMS_APPS.containsKey(app) ? "http.port" : "metrics.port";
            assertEquals(Integer.toString(port), settings.getProperty(served), app + ": " + served);
        }
        // The scrape job keeps annotated pods and labels their series with the app label the pods carry.
        final String prometheus = Files.readString(Path.of("prometheus", "prometheus.yml"));
        assertTrue(prometheus.contains("__meta_kubernetes_pod_annotation_prometheus_io_scrape")
            && prometheus.contains("__meta_kubernetes_pod_label_app_kubernetes_io_name")
            && prometheus.contains("honor_labels: true") && prometheus.contains("- alerts.yml"));
    }

    @Test
    void workloadsAreWiredConsistently() {
        for (final Map.Entry<HasMetadata, PodTemplateSpec> workload : workloads().entrySet()) {
            final String name = name(workload.getKey());
            final PodTemplateSpec pod = workload.getValue();
            final PodSpec spec = pod.getSpec();
            final Map<String, String> selector = workload.getKey() instanceof StatefulSet s
                ? s.getSpec().getSelector().getMatchLabels()
                : workload.getKey() instanceof Deployment d ? d.getSpec().getSelector().getMatchLabels() : null;
            if (selector != null) {
                assertTrue(pod.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()),
                    name + ": the selector does not select its own pods");
            }
            assertEquals(Boolean.TRUE, spec.getSecurityContext().getRunAsNonRoot(), name);
            assertEquals(Boolean.FALSE, spec.getAutomountServiceAccountToken(), name);
            final Set<String> volumes = new HashSet<>();
            spec.getVolumes().forEach(v -> volumes.add(v.getName()));
            if (workload.getKey() instanceof StatefulSet s) {
                s.getSpec().getVolumeClaimTemplates().forEach(c -> volumes.add(c.getMetadata().getName()));
            }
            for (final Volume volume : spec.getVolumes()) {
                if (volume.getConfigMap() != null) {
                    one(ConfigMap.class, volume.getConfigMap().getName());
                }
            }
            for (final Container container : spec.getContainers()) {
                assertTrue(container.getImage().startsWith("melodyud/melody-streams:"), name + ": image");
                assertNotNull(container.getResources().getRequests().get("memory"), name + ": memory request");
                assertNotNull(container.getResources().getLimits().get("memory"), name + ": memory limit");
                assertEquals(Boolean.TRUE, container.getSecurityContext().getReadOnlyRootFilesystem(), name);
                for (final VolumeMount mount : container.getVolumeMounts()) {
                    assertTrue(volumes.contains(mount.getName()), name + ": no volume " + mount.getName());
                }
                assertTrue(container.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/tmp")),
                    name + ": a writable /tmp (read-only root filesystem; RocksDB and Kafka unpack native code)");
                for (final Probe probe : probes(container)) {
                    if (probe.getHttpGet() != null && probe.getHttpGet().getPort().getStrVal() != null) {
                        portNumber(container, probe.getHttpGet().getPort().getStrVal());
                    }
                }
                // Mounts may not nest: a volume inside another is created in a read-only mount.
                final List<String> paths = container.getVolumeMounts().stream().map(VolumeMount::getMountPath).toList();
                for (final String a : paths) {
                    for (final String b : paths) {
                        assertFalse(!a.equals(b) && b.startsWith(a + "/"), name + ": " + b + " inside " + a);
                    }
                }
            }
        }
    }

    @Test
    void settingsAreOnesTheApplicationsKnowAndCredentialsComeFromSecrets() throws IOException {
        final String operations = Files.readString(ROOT.resolve("docs/operations.md"));
        for (final Map.Entry<HasMetadata, PodTemplateSpec> workload : workloads().entrySet()) {
            final PodTemplateSpec pod = workload.getValue();
            final Container container = pod.getSpec().getContainers().get(0);
            final String app = pod.getMetadata().getLabels().get("app.kubernetes.io/name")
                .replace("cdc-provision", "cdc");
            final Set<String> known = knownSettings(app);
            final Properties settings = settingsOf(pod, container);
            for (final String key : settings.stringPropertyNames()) {
                assertTrue(known.contains(key) || key.startsWith("kafka.") || PENDING_SETTINGS.contains(key),
                    app + ": unknown setting " + key);
                assertFalse(key.contains("password") && !key.endsWith(".file"),
                    app + ": a password in a ConfigMap: " + key);
                if (key.endsWith(".file")) {
                    assertTrue(isUnderSecretMount(pod, container, settings.getProperty(key)),
                        app + ": " + key + " is not in a mounted Secret");
                }
            }
            for (final EnvVar env : container.getEnv()) {
                if (env.getName().startsWith(ConfigLoader.ENV_PREFIX)) {
                    assertTrue(env.getName().startsWith("MELODY_KAFKA_")
                        || known.stream().anyMatch(k -> ConfigLoader.envName(k).equals(env.getName())),
                        app + ": " + env.getName() + " overrides no setting");
                }
                if (env.getValueFrom() != null && env.getValueFrom().getSecretKeyRef() != null) {
                    final var ref = env.getValueFrom().getSecretKeyRef();
                    assertTrue(operations.contains("`" + ref.getName() + "`") && operations.contains("`" + ref.getKey()
                        + "`"), "docs/operations.md does not list Secret " + ref.getName() + " key " + ref.getKey());
                }
                if (env.getValue() != null) {
                    assertFalse(env.getName().contains("PASSWORD") && !env.getName().endsWith("_FILE"),
                        app + ": a password in plain env " + env.getName());
                }
            }
            for (final Volume volume : pod.getSpec().getVolumes()) {
                if (volume.getSecret() != null) {
                    assertTrue(operations.contains("`" + volume.getSecret().getSecretName() + "`"),
                        "docs/operations.md does not list Secret " + volume.getSecret().getSecretName());
                    volume.getSecret().getItems().forEach(item -> assertTrue(operations.contains("`" + item.getKey()
                        + "`"), "docs/operations.md does not list key " + item.getKey()));
                }
            }
        }
    }

    // ---- helpers ----

    private static Map<HasMetadata, PodTemplateSpec> workloads() {
        final Map<HasMetadata, PodTemplateSpec> pods = new LinkedHashMap<>();
        for (final HasMetadata resource : resources) {
            if (resource instanceof StatefulSet set) {
                pods.put(set, set.getSpec().getTemplate());
            } else if (resource instanceof Deployment deployment) {
                pods.put(deployment, deployment.getSpec().getTemplate());
            } else if (resource instanceof Job job) {
                pods.put(job, job.getSpec().getTemplate());
            }
        }
        assertEquals(7, pods.size(), "workloads");
        return pods;
    }

    private static <T extends HasMetadata> T one(final Class<T> type, final String name) {
        final List<T> found = resources.stream().filter(type::isInstance).map(type::cast)
            .filter(r -> r.getMetadata().getName().equals(name)).toList();
        assertEquals(1, found.size(), type.getSimpleName() + " " + name);
        return found.get(0);
    }

    private static Container container(final PodTemplateSpec pod, final String name) {
        return pod.getSpec().getContainers().stream().filter(c -> c.getName().equals(name)).findFirst()
            .orElseThrow(() -> new AssertionError("no container " + name));
    }

    /** The class after {@code -cp PATH} in {@code java -cp PATH CLASS FILE [command]}. */
    private static String mainClass(final Container container) {
        final List<String> command = container.getCommand();
        assertEquals("java", command.get(0));
        return command.get(command.indexOf("-cp") + 2);
    }

    /** The properties file the container is started with, read from the ConfigMap mounted where it points. */
    private static Properties settingsOf(final PodTemplateSpec pod, final Container container) throws IOException {
        final List<String> command = container.getCommand();
        final Path file = Path.of(command.get(command.indexOf("-cp") + 3));
        final VolumeMount mount = container.getVolumeMounts().stream()
            .filter(m -> file.startsWith(m.getMountPath())).findFirst()
            .orElseThrow(() -> new AssertionError(container.getName() + ": nothing mounted at " + file));
        final Volume volume = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName()))
            .findFirst().orElseThrow();
        assertNotNull(volume.getConfigMap(), container.getName() + ": settings not from a ConfigMap");
        final ConfigMap config = one(ConfigMap.class, volume.getConfigMap().getName());
        final String key = Path.of(mount.getMountPath()).relativize(file).toString();
        final String text = config.getData().get(key);
        assertNotNull(text, config.getMetadata().getName() + " has no " + key);
        final Properties properties = new Properties();
        properties.load(new StringReader(text));
        return properties;
    }

    private static boolean isUnderSecretMount(final PodTemplateSpec pod, final Container container, final String path) {
        for (final VolumeMount mount : container.getVolumeMounts()) {
            if (path.startsWith(mount.getMountPath() + "/")) {
                return pod.getSpec().getVolumes().stream()
                    .anyMatch(v -> v.getName().equals(mount.getName()) && v.getSecret() != null
                        && v.getSecret().getItems().stream().anyMatch(
                            i -> (mount.getMountPath() + "/" + i.getPath()).equals(path)));
            }
        }
        return false;
    }

    private static Set<String> secretsOf(final PodTemplateSpec pod) {
        final Set<String> secrets = new HashSet<>();
        pod.getSpec().getVolumes().stream().filter(v -> v.getSecret() != null)
            .forEach(v -> secrets.add(v.getSecret().getSecretName()));
        pod.getSpec().getContainers().forEach(c -> c.getEnv().stream()
            .filter(e -> e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null)
            .forEach(e -> secrets.add(e.getValueFrom().getSecretKeyRef().getName())));
        return secrets;
    }

    /**
     * The settings an application declares, from its generated reference (docs/config/APP.md, kept equal to its
     * ConfigDef by the module's own test). A Streams application without a reference yet is held to the settings
     * every Streams application shares: play analytics' without its own plays.* and charts.* ones.
     */
    private static Set<String> knownSettings(final String app) throws IOException {
        final Path reference = ROOT.resolve("docs/config/" + app + ".md");
        if (Files.exists(reference)) {
            return settingNames(Files.readString(reference));
        }
        assertTrue(STREAMS_APPS.containsKey(app), "no configuration reference for " + app);
        final Set<String> shared = new HashSet<>();
        for (final String key : settingNames(Files.readString(ROOT.resolve("docs/config/play-analytics.md")))) {
            if (!key.startsWith("plays.") && !key.startsWith("charts.")) {
                shared.add(key);
            }
        }
        return shared;
    }

    private static Set<String> settingNames(final String markdown) {
        final Set<String> names = new HashSet<>();
        final Matcher m = Pattern.compile("(?m)^\\| `([^`]+)` \\|").matcher(markdown);
        while (m.find()) {
            names.add(m.group(1));
        }
        assertTrue(names.size() > 5, "settings in reference: " + names);
        return names;
    }

    private static int indexOf(final List<EnvVar> env, final String name) {
        for (int i = 0; i < env.size(); i++) {
            if (env.get(i).getName().equals(name)) {
                return i;
            }
        }
        throw new AssertionError("no env " + name);
    }

    private static int portNumber(final Container container, final String name) {
        return container.getPorts().stream().filter(p -> name.equals(p.getName())).map(ContainerPort::getContainerPort)
            .findFirst().orElseThrow(() -> new AssertionError(container.getName() + " has no port named " + name));
    }

    private static List<Probe> probes(final Container container) {
        final List<Probe> probes = new ArrayList<>();
        Stream.of(container.getLivenessProbe(), container.getReadinessProbe(), container.getStartupProbe())
            .filter(p -> p != null).forEach(probes::add);
        return probes;
    }

    private static boolean selects(final Map<String, String> selector, final PodTemplateSpec pod) {
        return pod.getMetadata().getLabels().entrySet().containsAll(selector.entrySet());
    }

    private static String name(final HasMetadata resource) {
        return fileOf.get(resource) + ": " + resource.getKind() + " " + resource.getMetadata().getName();
    }
}
