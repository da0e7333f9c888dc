package io.melodyud.sinks.clickhouse;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.ServerException;
import com.clickhouse.client.api.insert.InsertResponse;
import com.clickhouse.client.api.insert.InsertSettings;
import com.clickhouse.data.ClickHouseFormat;
import io.melodyud.sinks.common.BadRecordException;
import io.melodyud.sinks.common.Batch;
import io.melodyud.sinks.common.BatchWriter;
import io.melodyud.sinks.common.DeadLetters;
import io.melodyud.sinks.common.SinkCounters;
import io.melodyud.sinks.common.SinkRecord;
import io.melodyud.sinks.common.TransientWriteException;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes batches into the analysts' tables through ClickHouse's official Java client ({@code client-v2}): one
 * RowBinary insert per table per batch. ClickHouse acknowledges an insert once its parts are written; only then
 * does the runner commit the batch's offsets. A batch written twice (a crash before the commit) replaces its own
 * rows, since every table is a ReplacingMergeTree on the records' version.
 */
public final class ClickHouseWriter implements BatchWriter {

    private static final Logger LOG = LoggerFactory.getLogger(ClickHouseWriter.class);

    private final ClickHouseSinkConfig config;
    private final Client client;
    private final SinkCounters counters;
    private final Map<ClickHouseTable, String> names;
    private final Map<ClickHouseTable, RowBinary> buffers = new EnumMap<>(ClickHouseTable.class);
    private final InsertSettings insertSettings;
    private final java.util.Set<ClickHouseTable> inserted = java.util.EnumSet.noneOf(ClickHouseTable.class);
    /** Event or update time of the newest row of the encoded batch, per table, for the freshness metric. */
    private final Map<ClickHouseTable, Long> newest = new EnumMap<>(ClickHouseTable.class);
    private Batch encoded;

    public ClickHouseWriter(final ClickHouseSinkConfig config, final SinkCounters counters) {
        this.config = config;
        this.counters = counters;
        this.names = config.tableNames();
        final Client.Builder builder = new Client.Builder()
            .addEndpoint(config.url())
            .setUsername(config.user())
            .setPassword(config.password() == null ? "" : config.password())
            .setSocketTimeout(config.socketTimeoutMs(), ChronoUnit.MILLIS)
            .setConnectTimeout(5_000, ChronoUnit.MILLIS)
            .compressClientRequest(config.compress())
            // ClickHouse 18.16 answers compressed responses in a framing client-v2 reads as empty: query results
            // (the migration history) would silently vanish.
            .compressServerResponse(false)
            // The runner retries whole batches with its own backoff; a retry inside the client would hide outages.
            .setMaxRetries(0)
            .setClientName("melody-sink-clickhouse");
        this.client = builder.build();
        // Tables are named database-qualified in each insert: ClickHouse 18.16 ignores how client-v2 passes a
        // default database and answers 404 (unknown table).
        this.insertSettings = new InsertSettings();
    }

    @Override
    public void start() throws Exception {
        ClickHouseMigrations.apply(client, config.database(), names);
    }

    @Override
    public void write(final Batch batch, final DeadLetters deadLetters) throws TransientWriteException {
        // Encode once per batch: a retry after an outage sends the same bytes and no second dead letter.
        if (batch != encoded) {
            encode(batch, deadLetters);
            encoded = batch;
            inserted.clear();
        }
        // Dead letters first: once an insert is acknowledged the offsets may be committed.
        deadLetters.flush();
        for (final Map.Entry<ClickHouseTable, RowBinary> entry : buffers.entrySet()) {
            final RowBinary rows = entry.getValue();
            if (rows.rows() == 0 || inserted.contains(entry.getKey())) {
                continue;
            }
            insert(entry.getKey(), rows);
            // A table already acknowledged is not sent again when a later table of the batch fails.
            inserted.add(entry.getKey());
            counters.rowsWritten(names.get(entry.getKey()), rows.rows(), newest.getOrDefault(entry.getKey(), -1L));
        }
    }

    private void encode(final Batch batch, final DeadLetters deadLetters) {
        buffers.values().forEach(RowBinary::reset);
        newest.clear();
        for (final SinkRecord record : batch.records()) {
            final ClickHouseTable table = ClickHouseRows.tableOf(record.stream(), record.value());
            final RowBinary out = buffers.computeIfAbsent(table, t -> new RowBinary(1 << 20));
            try {
                ClickHouseRows.write(record.stream(), record.value(), out);
                newest.merge(table, record.eventTimeMs(), Math::max);
            } catch (final BadRecordException e) {
                deadLetters.send(record.source(), DeadLetters.STAGE_WRITE, e.reason(), e);
            }
        }
    }

    private void insert(final ClickHouseTable table, final RowBinary rows) throws TransientWriteException {
        final String name = ClickHouseMigrations.qualified(config.database(), names.get(table));
        try (InsertResponse response = client.insert(name, table.columnNames(), rows.stream(),
                ClickHouseFormat.RowBinary, insertSettings).get(config.socketTimeoutMs() + 5_000L,
                TimeUnit.MILLISECONDS)) {
            if (response.getWrittenRows() > 0 && response.getWrittenRows() != rows.rows()) {
                LOG.warn("ClickHouse reported {} rows written into {}, {} sent", response.getWrittenRows(), name,
                    rows.rows());
            }
        } catch (final ExecutionException e) {
            final Throwable cause = e.getCause();
            if (cause instanceof ServerException server) {
                // Not a connection problem: our DDL or encoding disagrees with the server. Retrying keeps the
                // records (nothing is acknowledged) and the error in the log until someone fixes it.
                LOG.error("ClickHouse refused the insert into {} (code {}): {}", name, server.getCode(),
                    server.getMessage());
            }
            throw new TransientWriteException("Insert into " + name + " failed: " + cause, cause);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransientWriteException("Interrupted during an insert into " + name, e);
        } catch (final Exception e) {
            throw new TransientWriteException("Insert into " + name + " failed: " + e, e);
        }
    }

    @Override
    public boolean storesOffsets() {
        return false;
    }

    @Override
    public Map<TopicPartition, Long> storedOffsets(final Collection<TopicPartition> partitions) {
        return Map.of();
    }

    public Client client() {
        return client;
    }

    @Override
    public void close() {
        client.close();
    }
}
