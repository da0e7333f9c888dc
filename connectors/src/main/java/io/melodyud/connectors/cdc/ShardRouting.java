package io.melodyud.connectors.cdc;

import java.util.Collection;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Maps the physical tables Debezium reads on a Citus node to the logical tables consumers know. Citus names the
 * shards of table {@code users} {@code users_102008}, {@code users_102009}...: the numeric suffix is a shard id
 * that changes when shards are split or moved, so no consumer may ever see it.
 */
public final class ShardRouting {

    private static final Pattern SHARD_NAME = Pattern.compile("^([a-z_][a-z0-9_]*?)_(\\d+)$");

    private ShardRouting() {
    }

    /**
     * The logical table a shard (or logical) table name belongs to: {@code users_102008} and {@code users} are
     * both {@link LogicalTable#USERS}; names of tables CDC does not publish give empty.
     */
    public static Optional<LogicalTable> logicalTable(final String physicalName) {
        if (physicalName == null) {
            return Optional.empty();
        }
        final Matcher matcher = SHARD_NAME.matcher(physicalName);
        if (matcher.matches()) {
            final Optional<LogicalTable> table = LogicalTable.byTableName(matcher.group(1));
            if (table.isPresent()) {
                return table;
            }
        }
        return LogicalTable.byTableName(physicalName);
    }

    /**
     * Debezium's {@code table.include.list} for the shard tables of {@code tables} in {@code schema}: a regular
     * expression matched against {@code schema.table}, so that shards created later (by a split or a rebalance)
     * are captured without a configuration change.
     */
    public static String includeList(final String schema, final Collection<LogicalTable> tables) {
        if (tables.isEmpty()) {
            throw new IllegalArgumentException("no table to capture");
        }
        return schema + "\\.("
            + tables.stream().map(LogicalTable::tableName).sorted().collect(Collectors.joining("|")) + ")_[0-9]+";
    }

    /** SQL regular expression (for {@code ~}) matching the shard table names of {@code tables}. */
    public static String shardNameRegex(final Collection<LogicalTable> tables) {
        return "^(" + tables.stream().map(LogicalTable::tableName).sorted().collect(Collectors.joining("|"))
            + ")_[0-9]+$";
    }
}
