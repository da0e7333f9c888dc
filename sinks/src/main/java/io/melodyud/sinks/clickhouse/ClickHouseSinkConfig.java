package io.melodyud.sinks.clickhouse;

import io.melodyud.sinks.common.Identifiers;
import io.melodyud.sinks.common.SinkConfig;
import io.melodyud.sinks.common.SinkStream;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Settings of the ClickHouse sink; see {@code docs/config/clickhouse-sink.md}. */
public final class ClickHouseSinkConfig extends SinkConfig {

    public static final String URL = "clickhouse.url";
    public static final String USER = "clickhouse.user";
    public static final String PASSWORD = "clickhouse.password";
    public static final String PASSWORD_FILE = "clickhouse.password.file";
    public static final String DATABASE = "clickhouse.database";
    public static final String SOCKET_TIMEOUT_MS = "clickhouse.socket.timeout.ms";
    public static final String COMPRESS = "clickhouse.compress";

    public static final ConfigDef DEFINITION = definition();

    public ClickHouseSinkConfig(final Map<?, ?> originals) {
        super(DEFINITION, originals);
    }

    private static ConfigDef definition() {
        final ConfigDef def = baseDefinition("melody-sink-clickhouse", Arrays.asList(SinkStream.values()), 100_000,
            17_072)
            .define(URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
                "HTTP endpoint of ClickHouse, for example http://clickhouse:8123.")
            .define(USER, Type.STRING, "default", new ConfigDef.NonEmptyString(), Importance.HIGH,
                "ClickHouse user the sink connects as; it needs CREATE, INSERT and SELECT on the database.")
            .define(PASSWORD, Type.PASSWORD, null, Importance.HIGH,
                "Password of the ClickHouse user. Never logged; give it through MELODY_CLICKHOUSE_PASSWORD or "
                    + PASSWORD_FILE + ", not in a committed file.")
            .define(PASSWORD_FILE, Type.STRING, null, Importance.MEDIUM,
                "File holding the password (a mounted secret); wins over " + PASSWORD + ".")
            .define(DATABASE, Type.STRING, "melody", Identifiers.validator(), Importance.HIGH,
                "Database of the analysts' tables; created with the tables on start.")
            .define(SOCKET_TIMEOUT_MS, Type.INT, 60_000, ConfigDef.Range.atLeast(1_000), Importance.LOW,
                "Read timeout of one request to ClickHouse; an insert that gets no answer in this time is retried.")
            .define(COMPRESS, Type.BOOLEAN, false, Importance.LOW,
                "Compress inserts (LZ4). Saves network when ClickHouse is remote; costs CPU on a local one. Not "
                    + "verified against ClickHouse 18.16 (whose compressed responses client-v2 cannot read): keep it "
                    + "false there.");
        for (final ClickHouseTable table : ClickHouseTable.values()) {
            def.define(table.setting(), Type.STRING, table.defaultName(), Identifiers.validator(), Importance.LOW,
                "Name of the table: " + table.description());
        }
        return def;
    }

    public String url() {
        return getString(URL);
    }

    public String user() {
        return getString(USER);
    }

    public String password() {
        return secret(PASSWORD, PASSWORD_FILE);
    }

    public String database() {
        return getString(DATABASE);
    }

    public int socketTimeoutMs() {
        return getInt(SOCKET_TIMEOUT_MS);
    }

    public boolean compress() {
        return getBoolean(COMPRESS);
    }

    /** Configured (validated) name of each table. */
    public Map<ClickHouseTable, String> tableNames() {
        final Map<ClickHouseTable, String> names = new EnumMap<>(ClickHouseTable.class);
        for (final ClickHouseTable table : ClickHouseTable.values()) {
            names.put(table, getString(table.setting()));
        }
        return names;
    }
}
