package io.melodyud.sinks.clickhouse;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.query.QueryResponse;
import io.melodyud.sinks.common.Identifiers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versioned DDL of the analysts' tables, applied on start. Applied versions are recorded in
 * {@code schema_migrations} of the sink's database; each start applies the versions not recorded yet, in order.
 * Every statement is idempotent ({@code IF NOT EXISTS}), so a crash between a statement and its record, or two
 * sinks starting together, is harmless. A released migration is never edited: changes are new versions.
 */
public final class ClickHouseMigrations {

    private static final Logger LOG = LoggerFactory.getLogger(ClickHouseMigrations.class);

    /** One version: its description and statements. */
    public record Migration(int version, String description, List<String> statements) {
    }

    private ClickHouseMigrations() {
    }

    /** The migrations for a database and its configured table names. */
    public static List<Migration> migrations(final String database, final Map<ClickHouseTable, String> names) {
        final List<Migration> migrations = new ArrayList<>();
        final List<String> tables = new ArrayList<>();
        for (final ClickHouseTable table : ClickHouseTable.values()) {
            tables.add(table.createStatement(qualified(database, names.get(table))));
        }
        migrations.add(new Migration(1, "analysts' tables", tables));

        // Exact reads before merges: FINAL collapses the rows of a key to the highest version at query time.
        final List<String> views = new ArrayList<>();
        for (final ClickHouseTable table : ClickHouseTable.values()) {
            if (table == ClickHouseTable.ROYALTIES_DAILY || table == ClickHouseTable.ROYALTIES_MONTHLY) {
                continue;
            }
            views.add("CREATE VIEW IF NOT EXISTS " + qualified(database, names.get(table) + "_exact")
                + " AS SELECT * FROM " + qualified(database, names.get(table)) + " FINAL");
        }
        for (final ClickHouseTable table : List.of(ClickHouseTable.ROYALTIES_DAILY,
                ClickHouseTable.ROYALTIES_MONTHLY)) {
            // The payable amount of a line: its latest LIVE or FINAL total plus every adjustment.
            views.add("CREATE VIEW IF NOT EXISTS " + qualified(database, names.get(table) + "_payable")
                + " AS SELECT rights_holder_id, period_start, period_end, country, currency,"
                + " sum(valid_plays) AS plays, sum(amount) AS payable, max(kind = 'FINAL') AS closed,"
                + " countIf(entry = 'ADJUSTMENT') AS adjustments"
                + " FROM " + qualified(database, names.get(table)) + " FINAL"
                + " GROUP BY rights_holder_id, period_start, period_end, country, currency");
        }
        migrations.add(new Migration(2, "exact views", views));
        return migrations;
    }

    /** Applies the migrations not yet recorded; returns the versions applied. */
    public static List<Integer> apply(final Client client, final String database,
                                      final Map<ClickHouseTable, String> names) throws Exception {
        final String db = Identifiers.quoteClickHouse(database);
        execute(client, "CREATE DATABASE IF NOT EXISTS " + db);
        final String history = db + ".`schema_migrations`";
        execute(client, "CREATE TABLE IF NOT EXISTS " + history + " (version UInt32, description String, "
            + "applied_at DateTime) ENGINE = ReplacingMergeTree() ORDER BY version");
        final Set<Integer> applied = new HashSet<>();
        for (final String line : queryLines(client, "SELECT version FROM " + history + " FINAL")) {
            applied.add(Integer.parseInt(line.trim()));
        }
        final List<Integer> done = new ArrayList<>();
        for (final Migration migration : migrations(database, names)) {
            if (applied.contains(migration.version())) {
                continue;
            }
            for (final String statement : migration.statements()) {
                execute(client, statement);
            }
            execute(client, "INSERT INTO " + history + " VALUES (" + migration.version() + ", '"
                + migration.description().replace("'", "") + "', now())");
            LOG.info("ClickHouse database {}: applied migration {} ({})", database, migration.version(),
                migration.description());
            done.add(migration.version());
        }
        return done;
    }

    static String qualified(final String database, final String table) {
        return Identifiers.quoteClickHouse(database) + "." + Identifiers.quoteClickHouse(table);
    }

    public static void execute(final Client client, final String sql) throws Exception {
        client.execute(sql).get(60, TimeUnit.SECONDS).close();
    }

    /**
     * Lines of a query's result in TabSeparated. The client's row readers return no rows from ClickHouse 18.16, so
     * results are read as text.
     */
    public static List<String> queryLines(final Client client, final String sql) throws Exception {
        try (QueryResponse response = client.query(sql + " FORMAT TabSeparated").get(60, TimeUnit.SECONDS);
             InputStream in = response.getInputStream()) {
            final String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            final List<String> lines = new ArrayList<>();
            for (final String line : text.split("\n")) {
                if (!line.isEmpty()) {
                    lines.add(line);
                }
            }
            return lines;
        } catch (final IOException e) {
            throw new IOException("Query failed: " + sql, e);
        }
    }
}
