package io.melodyud.connectors.cdc;

import io.melodyud.contracts.config.LocalStack;
import io.melodyud.ops.citus.CitusLayout;
import io.melodyud.ops.citus.OperationalSchema;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything an integration test of CDC needs on the shared local stack, private to the test and removed on close:
 * a database of its own on each worker (the operational schema's shard tables, 4 shards per distributed table),
 * a least-privileged CDC role with a password, per-test topics, slot, publication and engine names. Slots are
 * dropped in {@link #close()}: a forgotten slot would retain WAL on the shared clusters for ever.
 */
final class CdcScratch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CdcScratch.class);
    static final int SHARDS = 4;

    final LocalStack stack;
    final String id;
    final String database;
    final String role;
    final String password;
    final String topicPrefix;
    final CitusLayout layout;
    final List<Node> workers = new ArrayList<>();
    private final List<String> topics = new ArrayList<>();
    private final List<Node> slotNodes = new ArrayList<>();

    CdcScratch(final String testName) throws Exception {
        this(testName, null);
    }

    /** @param ownNode a throwaway cluster to use as the only worker instead of the stack's workers */
    CdcScratch(final String testName, final Node ownNode) throws Exception {
        stack = LocalStack.fromSystemProperty();
        final String hex = Long.toHexString(System.nanoTime()).substring(4);
        final String shortName = testName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        id = (shortName.length() > 24 ? shortName.substring(0, 24) : shortName) + "_" + hex;
        database = "it_cdc_" + id;
        role = "it_cdc_" + hex;
        password = "pw-" + UUID.randomUUID();
        topicPrefix = "it.cdc." + id.replace('_', '-');
        if (ownNode != null) {
            workers.add(ownNode);
        } else {
            int i = 1;
            for (final String url : stack.workerJdbcUrls()) {
                final URI uri = URI.create(url.substring("jdbc:".length()));
                workers.add(new Node("worker" + i++, uri.getHost(), uri.getPort()));
            }
        }
        layout = new CitusLayout(SHARDS, workers.size(), CitusLayout.DEFAULT_FIRST_SHARD_ID);
        for (int w = 0; w < workers.size(); w++) {
            try (Connection admin = superuser(workers.get(w), "postgres"); Statement st = admin.createStatement()) {
                st.execute("CREATE DATABASE " + database);
            }
            try (Connection db = worker(w)) {
                OperationalSchema.createOnWorker(db, layout, w);
            }
        }
        createTopics();
    }

    static Connection superuser(final Node node, final String database) throws SQLException {
        final Properties props = new Properties();
        props.setProperty("user", "postgres");
        return DriverManager.getConnection(node.jdbcUrl(database), props);
    }

    /** A superuser connection to this test's database on worker {@code index} (0-based), for writing rows. */
    Connection worker(final int index) throws SQLException {
        return superuser(workers.get(index), database);
    }

    String topic(final LogicalTable table) {
        return table.topic(topicPrefix);
    }

    String offsetsTopic() {
        return topicPrefix + ".offsets";
    }

    String dlqTopic() {
        return topicPrefix + ".dlq";
    }

    String signalsTopic() {
        return topicPrefix + ".signals";
    }

    String slotName() {
        return "it_cdc_" + id;
    }

    /** CDC settings for this test's resources, over {@code nodes} (all workers when null). */
    Map<String, String> settings(final List<Node> nodes) {
        final List<Node> captured = nodes == null ? workers : nodes;
        slotNodes.addAll(captured);
        final Map<String, String> settings = new HashMap<>();
        settings.put("kafka.bootstrap.servers", stack.kafkaBootstrapServers());
        settings.put("schema.registry.url", stack.registryUrl());
        settings.put("cdc.nodes", String.join(",", captured.stream().map(n -> n.name() + "=" + n.address())
            .toList()));
        settings.put("cdc.database", database);
        settings.put("cdc.user", role);
        settings.put("cdc.password", password);
        settings.put("cdc.admin.user", "postgres");
        settings.put("cdc.topic.prefix", topicPrefix);
        settings.put("cdc.offsets.topic", offsetsTopic());
        settings.put("cdc.heartbeats.topic", topicPrefix + ".heartbeats");
        settings.put("cdc.signals.topic", signalsTopic());
        settings.put("cdc.dlq.topic", dlqTopic());
        settings.put("cdc.slot.name", slotName());
        settings.put("cdc.publication.name", "it_cdc_" + id);
        settings.put("cdc.engine.name", "it-" + id.replace('_', '-'));
        settings.put("cdc.heartbeat.interval.ms", "1000");
        settings.put("cdc.offset.flush.interval.ms", "200");
        settings.put("cdc.retry.backoff.initial.ms", "200");
        settings.put("cdc.retry.backoff.max.ms", "2000");
        settings.put("cdc.slot.monitor.interval.ms", "500");
        settings.put("cdc.connect.timeout.s", "5");
        return settings;
    }

    /** Runs the provision command's work as the superuser on every worker: role, grants, publication. */
    void provision(final CdcConfig config) throws SQLException {
        final Provisioner provisioner = new Provisioner(config);
        final String reference = config.referenceNode(config.nodes());
        for (final Node node : config.nodes()) {
            try (Connection admin = superuser(node, database)) {
                provisioner.provision(admin, node, CdcApp.tablesOf(config, node, reference));
            }
        }
    }

    /** Worker index and shard table holding row {@code userId} of distributed table {@code table}. */
    ShardPlace place(final String table, final long userId) {
        final CitusLayout.Shard shard = layout.shardFor(table, userId);
        return new ShardPlace(shard.workers().get(0), shard.tableName());
    }

    String referenceShard(final String table) {
        return layout.shardsOf(table).get(0).tableName();
    }

    record ShardPlace(int worker, String table) {
    }

    void insertUser(final long userId, final String tier) throws SQLException {
        final ShardPlace place = place("users", userId);
        try (Connection c = worker(place.worker()); PreparedStatement st = c.prepareStatement("INSERT INTO "
                + place.table() + " (user_id, email, display_name, country, tier, signup_at) "
                + "VALUES (?, ?, ?, 'CO', ?, now())")) {
            st.setLong(1, userId);
            st.setString(2, "user" + userId + "@example.co");
            st.setString(3, "Oyente " + userId);
            st.setString(4, tier);
            st.executeUpdate();
        }
    }

    int execute(final int worker, final String sql) throws SQLException {
        try (Connection c = worker(worker); Statement st = c.createStatement()) {
            return st.executeUpdate(sql);
        }
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers()));
    }

    private void createTopics() throws Exception {
        final Map<String, String> compact = Map.of("cleanup.policy", "compact");
        final List<NewTopic> newTopics = new ArrayList<>();
        for (final LogicalTable table : LogicalTable.values()) {
            newTopics.add(new NewTopic(topic(table), 2, (short) 1).configs(compact));
        }
        newTopics.add(new NewTopic(offsetsTopic(), 1, (short) 1).configs(compact));
        newTopics.add(new NewTopic(topicPrefix + ".heartbeats", 1, (short) 1));
        newTopics.add(new NewTopic(signalsTopic(), 1, (short) 1));
        newTopics.add(new NewTopic(dlqTopic(), 1, (short) 1));
        newTopics.forEach(t -> topics.add(t.name()));
        try (Admin admin = admin()) {
            admin.createTopics(newTopics).all().get();
        }
    }

    /** Topics under this test's prefix that exist on the broker. */
    List<String> existingTopics() throws Exception {
        try (Admin admin = admin()) {
            return admin.listTopics().names().get().stream().filter(t -> t.startsWith(topicPrefix + "."))
                .sorted().toList();
        }
    }

    /** Drops this test's slot on a node, ending the walsender holding it if need be. */
    static void dropSlot(final Node node, final String database, final String slot) throws SQLException {
        try (Connection c = superuser(node, "postgres")) {
            final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                try (PreparedStatement term = c.prepareStatement("SELECT pg_terminate_backend(active_pid) FROM "
                        + "pg_replication_slots WHERE slot_name = ? AND active_pid IS NOT NULL")) {
                    term.setString(1, slot);
                    term.executeQuery().close();
                }
                try (PreparedStatement drop = c.prepareStatement("SELECT pg_drop_replication_slot(slot_name) FROM "
                        + "pg_replication_slots WHERE slot_name = ? AND database = ?")) {
                    drop.setString(1, slot);
                    drop.setString(2, database);
                    drop.executeQuery().close();
                    return;
                } catch (final SQLException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    sleep(200);
                }
            }
        }
    }

    static boolean slotExists(final Node node, final String slot) throws SQLException {
        try (Connection c = superuser(node, "postgres");
             PreparedStatement st = c.prepareStatement("SELECT 1 FROM pg_replication_slots WHERE slot_name = ?")) {
            st.setString(1, slot);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next();
            }
        }
    }

    static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        for (final Node node : workers) {
            try {
                dropSlot(node, database, slotName());
            } catch (final SQLException e) {
                LOG.error("Could not drop slot {} on {}: DROP IT BY HAND, it retains WAL: {}", slotName(), node,
                    e.getMessage());
            }
            try (Connection admin = superuser(node, "postgres"); Statement st = admin.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
                st.execute("DROP ROLE IF EXISTS " + role);
            } catch (final SQLException e) {
                LOG.warn("Cleanup of {} on {} failed: {}", database, node, e.getMessage());
            }
        }
        try (Admin admin = admin()) {
            admin.deleteTopics(existingTopics()).all().get();
        } catch (final Exception e) {
            LOG.warn("Could not delete the topics of {}: {}", topicPrefix, e.getMessage());
        }
    }
}
