package io.melodyud.ops.citus;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where Citus puts each table's shards, computed the way Citus does it, so that the local stack (plain PostgreSQL
 * clusters) holds the same shard tables, with the same names and the same rows, as a real Citus cluster would.
 *
 * <ul>
 *   <li>Distributed tables (hashed by {@code user_id}) get {@code shardCount} shards each; shard {@code i} covers
 *       the hash range starting at {@code Integer.MIN_VALUE + i * 2^32/shardCount}; shards are named
 *       {@code <table>_<shardid>} and placed round-robin over the workers. Co-located tables use the same ranges
 *       and placements.</li>
 *   <li>Reference tables have one shard, replicated to every worker.</li>
 *   <li>Shard ids are handed out in order from {@code firstShardId} (102008 on a fresh Citus cluster).</li>
 * </ul>
 *
 * <p>Real Citus keeps this in {@code pg_dist_shard} and {@code pg_dist_placement}; the local coordinator keeps the
 * same facts in {@code melody_dist.shards} (see {@link OperationalSchema}).
 */
public final class CitusLayout {

    /** Citus's default first shard id on a fresh cluster. */
    public static final long DEFAULT_FIRST_SHARD_ID = 102008L;
    public static final int DEFAULT_SHARD_COUNT = 32;

    private static final Pattern SHARD_NAME = Pattern.compile("^([a-z_][a-z0-9_]*?)_(\\d+)$");

    private final int shardCount;
    private final int workerCount;
    private final List<Shard> shards;

    public CitusLayout(final int shardCount, final int workerCount, final long firstShardId) {
        if (shardCount < 1) {
            throw new IllegalArgumentException("shard count must be at least 1, got " + shardCount);
        }
        if (workerCount < 1) {
            throw new IllegalArgumentException("at least one worker is needed, got " + workerCount);
        }
        this.shardCount = shardCount;
        this.workerCount = workerCount;
        final List<Shard> all = new ArrayList<>();
        long nextId = firstShardId;
        for (final OperationalSchema.Table table : OperationalSchema.TABLES) {
            if (table.distributed()) {
                final long increment = (1L << 32) / shardCount;
                for (int i = 0; i < shardCount; i++) {
                    final long min = Integer.MIN_VALUE + i * increment;
                    final long max = i == shardCount - 1 ? Integer.MAX_VALUE : min + increment - 1;
                    all.add(new Shard(table.name(), nextId++, i, (int) min, (int) max, List.of(i % workerCount)));
                }
            } else {
                final List<Integer> everyWorker = new ArrayList<>();
                for (int w = 0; w < workerCount; w++) {
                    everyWorker.add(w);
                }
                all.add(new Shard(table.name(), nextId++, 0, Integer.MIN_VALUE, Integer.MAX_VALUE,
                    List.copyOf(everyWorker)));
            }
        }
        this.shards = List.copyOf(all);
    }

    public int shardCount() {
        return shardCount;
    }

    public int workerCount() {
        return workerCount;
    }

    public List<Shard> shards() {
        return shards;
    }

    /** The shards of a table. */
    public List<Shard> shardsOf(final String table) {
        return shards.stream().filter(s -> s.table().equals(table)).toList();
    }

    /** The shard of a distributed table holding the row whose distribution column is {@code userId}. */
    public Shard shardFor(final String table, final long userId) {
        final int hash = PgHash.hashInt8(userId);
        final List<Shard> candidates = shardsOf(table);
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("Unknown table " + table);
        }
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        final long increment = (1L << 32) / shardCount;
        final int index = (int) Math.min(shardCount - 1, ((long) hash - Integer.MIN_VALUE) / increment);
        return candidates.get(index);
    }

    /**
     * The logical table a shard table name belongs to ({@code users_102008} is {@code users}), or the name itself
     * when it is not a shard name. This is how CDC hides shard names from consumers.
     */
    public static String logicalTableOf(final String shardTableName) {
        final Matcher matcher = SHARD_NAME.matcher(shardTableName);
        return matcher.matches() ? matcher.group(1) : shardTableName;
    }

    /** One shard: its logical table, id, index among the table's shards, hash range and worker placements. */
    public record Shard(String table, long shardId, int index, int minHash, int maxHash, List<Integer> workers) {

        /** The shard table's name on the workers, as Citus names it. */
        public String tableName() {
            return table + "_" + shardId;
        }
    }
}
