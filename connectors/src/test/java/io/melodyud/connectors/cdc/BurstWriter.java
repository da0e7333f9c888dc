package io.melodyud.connectors.cdc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inserts users {@code first..first+count-1} into their shard tables, {@code perTransaction} rows per transaction,
 * reconnecting when the server goes away (a transaction whose COMMIT failed may or may not have committed, so the
 * truth is read back from the database at the end with {@link #committedUserIds}).
 */
final class BurstWriter implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(BurstWriter.class);

    private final CdcScratch scratch;
    private final long first;
    private final long count;
    private final int perTransaction;
    private final long pauseMs;
    final AtomicLong attempted = new AtomicLong();
    volatile Throwable failure;

    BurstWriter(final CdcScratch scratch, final long first, final long count, final int perTransaction,
                final long pauseMs) {
        this.scratch = scratch;
        this.first = first;
        this.count = count;
        this.perTransaction = perTransaction;
        this.pauseMs = pauseMs;
    }

    @Override
    public void run() {
        long next = first;
        final long end = first + count;
        final long deadline = System.nanoTime() + 180_000_000_000L;
        while (next < end && System.nanoTime() < deadline) {
            final long batchEnd = Math.min(end, next + perTransaction);
            try {
                writeBatch(next, batchEnd);
                next = batchEnd;
                attempted.set(next - first);
                if (pauseMs > 0) {
                    Thread.sleep(pauseMs);
                }
            } catch (final SQLException e) {
                LOG.info("Writer: {} (retrying from user {})", e.getMessage(), next);
                // The batch may have committed before the connection broke: skip ids that exist.
                CdcScratch.sleep(300);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (final RuntimeException e) {
                failure = e;
                return;
            }
        }
    }

    private void writeBatch(final long from, final long to) throws SQLException {
        final int workers = scratch.workers.size();
        final Connection[] connections = new Connection[workers];
        try {
            for (long id = from; id < to; id++) {
                final CdcScratch.ShardPlace place = scratch.place("users", id);
                if (connections[place.worker()] == null) {
                    connections[place.worker()] = scratch.worker(place.worker());
                    connections[place.worker()].setAutoCommit(false);
                }
                try (PreparedStatement st = connections[place.worker()].prepareStatement("INSERT INTO "
                        + place.table() + " (user_id, email, display_name, country, tier, signup_at) VALUES "
                        + "(?, ?, 'Oyente', 'BR', 'FREE', now()) ON CONFLICT (user_id) DO NOTHING")) {
                    st.setLong(1, id);
                    st.setString(2, "u" + id + "@example.com.br");
                    st.executeUpdate();
                }
            }
            for (final Connection c : connections) {
                if (c != null) {
                    c.commit();
                }
            }
        } finally {
            for (final Connection c : connections) {
                if (c != null) {
                    try {
                        c.close();
                    } catch (final SQLException e) {
                        LOG.debug("close: {}", e.getMessage());
                    }
                }
            }
        }
    }

    /** The user ids in {@code [from, to)} that are committed in the shard tables: what CDC must deliver. */
    static Set<Long> committedUserIds(final CdcScratch scratch, final long from, final long to)
            throws SQLException {
        final Set<Long> ids = new HashSet<>();
        for (int w = 0; w < scratch.workers.size(); w++) {
            for (final var shard : scratch.layout.shardsOf("users")) {
                if (!shard.workers().contains(w)) {
                    continue;
                }
                try (Connection c = scratch.worker(w); Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT user_id FROM " + shard.tableName()
                         + " WHERE user_id >= " + from + " AND user_id < " + to)) {
                    while (rs.next()) {
                        ids.add(rs.getLong(1));
                    }
                }
            }
        }
        return ids;
    }
}
