package io.melodyud.sinks.postgres;

import io.melodyud.sinks.common.BadRecordException;
import io.melodyud.sinks.common.Batch;
import io.melodyud.sinks.common.BatchWriter;
import io.melodyud.sinks.common.DeadLetters;
import io.melodyud.sinks.common.Identifiers;
import io.melodyud.sinks.common.SinkCounters;
import io.melodyud.sinks.common.SinkRecord;
import io.melodyud.sinks.common.TransientWriteException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes batches into the coordinator, exactly once: each batch is one transaction holding its rows (versioned
 * upserts) and the consumed offsets ({@code sink_offsets}); on assignment the runner resumes from those offsets.
 * A crash before the commit leaves neither rows nor offsets; after it, both. Batches holding royalty lines run
 * under SERIALIZABLE (the seeds' isolation for billing flows) and are retried on serialization conflicts; the
 * others under READ COMMITTED.
 *
 * <p>A row that breaks a constraint fails the whole statement; the batch is then written again row by row under
 * savepoints, and the offending rows become dead letters, so that one bad record does not stop the sink.
 */
public final class PostgresWriter implements BatchWriter {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresWriter.class);

    private final PostgresSinkConfig config;
    private final SinkCounters counters;
    private final Map<PostgresTable, String> upserts = new EnumMap<>(PostgresTable.class);
    private final String offsetsUpsert;
    private final String offsetsQuery;
    private Connection connection;
    private Batch mapped;
    private Map<PostgresTable, Map<List<Object>, Pending>> rows;

    public PostgresWriter(final PostgresSinkConfig config, final SinkCounters counters) {
        this.config = config;
        this.counters = counters;
        final String schema = Identifiers.quotePostgres(config.schema());
        final Map<PostgresTable, String> names = config.tableNames();
        for (final PostgresTable table : PostgresTable.values()) {
            if (table != PostgresTable.SINK_OFFSETS) {
                upserts.put(table, table.upsert(schema + "." + Identifiers.quotePostgres(names.get(table))));
            }
        }
        final String offsets = schema + "." + Identifiers.quotePostgres(names.get(PostgresTable.SINK_OFFSETS));
        // Offsets only move forward: a zombie instance that lost its partitions cannot rewind them.
        this.offsetsUpsert = "INSERT INTO " + offsets + " AS o (consumer_group, topic, kafka_partition, next_offset,"
            + " updated_at) SELECT ?, u.topic, u.p, u.next, now() FROM unnest(?::text[], ?::int[], ?::bigint[])"
            + " AS u(topic, p, next) ON CONFLICT (consumer_group, topic, kafka_partition) DO UPDATE"
            + " SET next_offset = EXCLUDED.next_offset, updated_at = now() WHERE o.next_offset < EXCLUDED.next_offset";
        this.offsetsQuery = "SELECT topic, kafka_partition, next_offset FROM " + offsets
            + " WHERE consumer_group = ? AND topic = ANY(?)";
    }

    @Override
    public void start() throws SQLException {
        if (!config.migrate()) {
            LOG.info("Migration skipped: no administrative connection configured");
            return;
        }
        final Properties props = new Properties();
        props.setProperty("user", config.adminUser());
        if (config.adminPassword() != null) {
            props.setProperty("password", config.adminPassword());
        }
        try (Connection admin = DriverManager.getConnection(config.adminUrl(), props)) {
            PostgresMigrations.apply(admin, config.schema(), config.tableNames(), config.user(), config.password());
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            final Properties props = new Properties();
            props.setProperty("user", config.user());
            if (config.password() != null) {
                props.setProperty("password", config.password());
            }
            props.setProperty("connectTimeout", "5");
            props.setProperty("socketTimeout", Integer.toString(config.socketTimeoutSeconds()));
            props.setProperty("tcpKeepAlive", "true");
            props.setProperty("ApplicationName", "melody-sink-postgres");
            connection = DriverManager.getConnection(config.url(), props);
            connection.setAutoCommit(false);
        }
        return connection;
    }

    /** A row with the record it came from, for dead letters. */
    private record Pending(PostgresRows.Row row, SinkRecord record) {
    }

    @Override
    public void write(final Batch batch, final DeadLetters deadLetters) throws TransientWriteException {
        // Map once per batch: a retry after an outage must not send the same dead letter again.
        if (batch != mapped) {
            rows = map(batch, deadLetters);
            mapped = batch;
        }
        final boolean billing = rows.containsKey(PostgresTable.ROYALTY_STATEMENTS)
            || rows.containsKey(PostgresTable.ROYALTY_ADJUSTMENTS);
        int conflicts = 0;
        while (true) {
            try {
                writeTransaction(rows, batch, deadLetters, billing, false);
                return;
            } catch (final SQLException e) {
                rollbackQuietly();
                final String state = String.valueOf(e.getSQLState());
                if (("40001".equals(state) || "40P01".equals(state)) && conflicts < config.serializableRetries()) {
                    conflicts++;
                    counters.increment(SinkCounters.RETRIES, "serialization");
                    pause(10L * conflicts + ThreadLocalRandom.current().nextLong(20));
                    continue;
                }
                if (state.startsWith("23") || state.startsWith("22")) {
                    try {
                        writeTransaction(rows, batch, deadLetters, billing, true);
                        return;
                    } catch (final SQLException again) {
                        rollbackQuietly();
                        throw transientFailure(again);
                    }
                }
                throw transientFailure(e);
            }
        }
    }

    /**
     * Per table, the newest version of each key: one statement cannot update a row twice, and the older versions
     * would be refused by the version guard anyway.
     */
    private static Map<PostgresTable, Map<List<Object>, Pending>> map(final Batch batch,
                                                                      final DeadLetters deadLetters) {
        final Map<PostgresTable, Map<List<Object>, Pending>> byTable = new EnumMap<>(PostgresTable.class);
        for (final SinkRecord record : batch.records()) {
            final PostgresRows.Row row;
            try {
                row = PostgresRows.map(record.stream(), record.value());
            } catch (final BadRecordException e) {
                deadLetters.send(record.source(), DeadLetters.STAGE_WRITE, e.reason(), e);
                continue;
            }
            byTable.computeIfAbsent(row.table(), t -> new LinkedHashMap<>()).merge(row.key(),
                new Pending(row, record), (a, b) -> b.row().version() >= a.row().version() ? b : a);
        }
        return byTable;
    }

    private void writeTransaction(final Map<PostgresTable, Map<List<Object>, Pending>> rows, final Batch batch,
                                  final DeadLetters deadLetters, final boolean billing, final boolean rowByRow)
            throws SQLException, TransientWriteException {
        final Connection conn = connection();
        conn.setTransactionIsolation(billing ? Connection.TRANSACTION_SERIALIZABLE
            : Connection.TRANSACTION_READ_COMMITTED);
        for (final Map.Entry<PostgresTable, Map<List<Object>, Pending>> entry : rows.entrySet()) {
            final List<Pending> pending = new ArrayList<>(entry.getValue().values());
            if (!rowByRow) {
                upsert(conn, entry.getKey(), pending);
                continue;
            }
            for (final Pending one : pending) {
                final Savepoint savepoint = conn.setSavepoint();
                try {
                    upsert(conn, entry.getKey(), List.of(one));
                    conn.releaseSavepoint(savepoint);
                } catch (final SQLException e) {
                    final String state = String.valueOf(e.getSQLState());
                    if (!state.startsWith("23") && !state.startsWith("22")) {
                        throw e;
                    }
                    conn.rollback(savepoint);
                    final String constraint = e instanceof org.postgresql.util.PSQLException p
                        && p.getServerErrorMessage() != null && p.getServerErrorMessage().getConstraint() != null
                        ? p.getServerErrorMessage().getConstraint() : state;
                    deadLetters.send(one.record().source(), DeadLetters.STAGE_WRITE, "constraint:" + constraint, e);
                }
            }
        }
        storeOffsets(conn, batch.nextOffsets());
        // Dead letters are durable before the offsets that skip their records are.
        deadLetters.flush();
        conn.commit();
        rows.forEach((table, byKey) -> counters.rowsWritten(table.defaultName(), byKey.size(),
            byKey.values().stream().mapToLong(p -> p.record().eventTimeMs()).max().orElse(-1)));
    }

    private void upsert(final Connection conn, final PostgresTable table, final List<Pending> pending)
            throws SQLException {
        final List<PostgresTable.Column> columns = table.columns();
        try (PreparedStatement st = conn.prepareStatement(upserts.get(table))) {
            for (int c = 0; c < columns.size(); c++) {
                // pgjdbc binds bytea arrays only from a byte[][], not from byte[] values inside an Object[].
                final Object[] values = "bytea".equals(columns.get(c).arrayType()) ? new byte[pending.size()][]
                    : new Object[pending.size()];
                for (int r = 0; r < values.length; r++) {
                    values[r] = pending.get(r).row().values()[c];
                }
                st.setArray(c + 1, conn.createArrayOf(columns.get(c).arrayType(), values));
            }
            st.executeUpdate();
        }
    }

    private void storeOffsets(final Connection conn, final Map<TopicPartition, Long> offsets) throws SQLException {
        final String[] topics = new String[offsets.size()];
        final Integer[] partitions = new Integer[offsets.size()];
        final Long[] next = new Long[offsets.size()];
        int i = 0;
        for (final Map.Entry<TopicPartition, Long> entry : offsets.entrySet()) {
            topics[i] = entry.getKey().topic();
            partitions[i] = entry.getKey().partition();
            next[i] = entry.getValue();
            i++;
        }
        try (PreparedStatement st = conn.prepareStatement(offsetsUpsert)) {
            st.setString(1, config.groupId());
            st.setArray(2, conn.createArrayOf("text", topics));
            st.setArray(3, conn.createArrayOf("int", partitions));
            st.setArray(4, conn.createArrayOf("bigint", next));
            st.executeUpdate();
        }
    }

    @Override
    public boolean storesOffsets() {
        return true;
    }

    @Override
    public Map<TopicPartition, Long> storedOffsets(final Collection<TopicPartition> partitions)
            throws TransientWriteException {
        final Map<TopicPartition, Long> stored = new HashMap<>();
        try {
            final Connection conn = connection();
            conn.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            try (PreparedStatement st = conn.prepareStatement(offsetsQuery)) {
                st.setString(1, config.groupId());
                st.setArray(2, conn.createArrayOf("text", partitions.stream().map(TopicPartition::topic).distinct()
                    .toArray()));
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        final TopicPartition partition = new TopicPartition(rs.getString(1), rs.getInt(2));
                        if (partitions.contains(partition)) {
                            stored.put(partition, rs.getLong(3));
                        }
                    }
                }
            }
            conn.commit();
            return stored;
        } catch (final SQLException e) {
            rollbackQuietly();
            throw transientFailure(e);
        }
    }

    private TransientWriteException transientFailure(final SQLException e) {
        final String state = String.valueOf(e.getSQLState());
        if (!state.startsWith("08") && !state.startsWith("57") && !state.startsWith("53") && !state.startsWith("40")) {
            // Not a connection or capacity problem: log loudly, but keep the batch (nothing is acknowledged).
            LOG.error("PostgreSQL refused a batch (SQLSTATE {}): {}", state, e.getMessage());
        }
        closeQuietly();
        return new TransientWriteException("PostgreSQL write failed (SQLSTATE " + state + "): " + e.getMessage(), e);
    }

    private void rollbackQuietly() {
        try {
            if (connection != null && !connection.isClosed()) {
                connection.rollback();
            }
        } catch (final SQLException e) {
            closeQuietly();
        }
    }

    private void closeQuietly() {
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (final SQLException e) {
            // the connection is gone anyway
        }
        connection = null;
    }

    private static void pause(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closeQuietly();
    }
}
