package io.melodyud.ops.kafka;

import io.melodyud.contracts.topics.TopicCatalogue;
import io.melodyud.contracts.topics.TopicSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Makes the broker match the topic catalogue, idempotently: creates missing topics, sets the configs the
 * catalogue lists when they differ, and adds partitions when the catalogue asks for more. It never deletes a
 * topic, removes a config or lowers a partition count (Kafka cannot, and data would be lost): those differences
 * are reported as drift.
 */
public final class TopicCatalogueApplier {

    private static final long TIMEOUT_SECONDS = 30;

    /** What applying changed, and what it could not reconcile. */
    public record Report(List<String> created, List<String> reconfigured, List<String> repartitioned,
                         List<String> unchanged, List<String> drift) {

        public boolean changedAnything() {
            return !created.isEmpty() || !reconfigured.isEmpty() || !repartitioned.isEmpty();
        }
    }

    private final Admin admin;
    private final short replicationFactor;

    public TopicCatalogueApplier(final Admin admin, final short replicationFactor) {
        this.admin = admin;
        this.replicationFactor = replicationFactor;
    }

    public Report apply(final TopicCatalogue catalogue) throws InterruptedException {
        final List<String> created = new ArrayList<>();
        final List<String> reconfigured = new ArrayList<>();
        final List<String> repartitioned = new ArrayList<>();
        final List<String> unchanged = new ArrayList<>();
        final List<String> drift = new ArrayList<>();

        final Set<String> existing = get(admin.listTopics().names());
        final List<NewTopic> toCreate = new ArrayList<>();
        final List<TopicSpec> present = new ArrayList<>();
        for (final TopicSpec spec : catalogue.topics()) {
            if (existing.contains(spec.name())) {
                present.add(spec);
            } else {
                toCreate.add(new NewTopic(spec.name(), spec.partitions(), replicationFactor).configs(spec.configs()));
            }
        }
        if (!toCreate.isEmpty()) {
            final var results = admin.createTopics(toCreate).values();
            for (final NewTopic topic : toCreate) {
                try {
                    results.get(topic.name()).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    created.add(topic.name());
                } catch (final ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("Cannot create topic " + topic.name() + ": "
                            + e.getCause().getMessage(), e.getCause());
                    }
                    // Created concurrently by another run: reconcile it like any existing topic.
                    present.add(catalogue.get(topic.name()));
                } catch (final TimeoutException e) {
                    throw new IllegalStateException("Timed out creating topic " + topic.name(), e);
                }
            }
        }
        if (present.isEmpty()) {
            return new Report(created, reconfigured, repartitioned, unchanged, drift);
        }

        final List<String> names = present.stream().map(TopicSpec::name).toList();
        final Map<String, TopicDescription> descriptions = get(admin.describeTopics(names).allTopicNames());
        final List<ConfigResource> resources = names.stream()
            .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
        final Map<ConfigResource, Config> configs = get(admin.describeConfigs(resources).all());

        final Map<String, NewPartitions> morePartitions = new HashMap<>();
        final Map<ConfigResource, Collection<AlterConfigOp>> alterations = new HashMap<>();
        for (final TopicSpec spec : present) {
            final int actual = descriptions.get(spec.name()).partitions().size();
            if (actual < spec.partitions()) {
                morePartitions.put(spec.name(), NewPartitions.increaseTo(spec.partitions()));
            } else if (actual > spec.partitions()) {
                drift.add(spec.name() + " has " + actual + " partitions, the catalogue says " + spec.partitions()
                    + " (partitions are never decreased)");
            }
            final ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, spec.name());
            final Config current = configs.get(resource);
            final List<AlterConfigOp> ops = new ArrayList<>();
            spec.configs().forEach((key, wanted) -> {
                final ConfigEntry entry = current.get(key);
                if (entry == null || !wanted.equals(entry.value())) {
                    ops.add(new AlterConfigOp(new ConfigEntry(key, wanted), AlterConfigOp.OpType.SET));
                }
            });
            if (!ops.isEmpty()) {
                alterations.put(resource, ops);
            }
        }
        if (!morePartitions.isEmpty()) {
            get(admin.createPartitions(morePartitions).all());
            repartitioned.addAll(morePartitions.keySet());
        }
        if (!alterations.isEmpty()) {
            get(admin.incrementalAlterConfigs(alterations).all());
            alterations.keySet().forEach(r -> reconfigured.add(r.name()));
        }
        for (final String name : names) {
            if (!morePartitions.containsKey(name) && !reconfigured.contains(name)) {
                unchanged.add(name);
            }
        }
        return new Report(created, reconfigured, repartitioned, unchanged, drift);
    }

    private static <T> T get(final org.apache.kafka.common.KafkaFuture<T> future) throws InterruptedException {
        try {
            return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (final ExecutionException e) {
            throw new IllegalStateException("Broker request failed: " + e.getCause().getMessage(), e.getCause());
        } catch (final TimeoutException e) {
            throw new IllegalStateException("Broker did not answer within " + TIMEOUT_SECONDS + " s", e);
        }
    }
}
