package io.melodyud.sinks.postgres;

import io.melodyud.sinks.common.Identifiers;
import io.melodyud.sinks.common.SinkConfig;
import io.melodyud.sinks.common.SinkStream;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Settings of the PostgreSQL sink; see {@code docs/config/postgres-sink.md}. */
public final class PostgresSinkConfig extends SinkConfig {

    public static final String URL = "pg.url";
    public static final String USER = "pg.user";
    public static final String PASSWORD = "pg.password";
    public static final String PASSWORD_FILE = "pg.password.file";
    public static final String ADMIN_URL = "pg.admin.url";
    public static final String ADMIN_USER = "pg.admin.user";
    public static final String ADMIN_PASSWORD = "pg.admin.password";
    public static final String ADMIN_PASSWORD_FILE = "pg.admin.password.file";
    public static final String SCHEMA = "pg.schema";
    public static final String MIGRATE = "pg.migrate.on.start";
    public static final String SERIALIZABLE_RETRIES = "pg.serializable.retries";
    public static final String SOCKET_TIMEOUT_S = "pg.socket.timeout.s";

    /** Streams the PostgreSQL sink writes: the services' and finance's tables. */
    public static final List<SinkStream> SUPPORTED_STREAMS = List.of(SinkStream.TRACK_PLAY_TOTALS, SinkStream.ROYALTIES_DAILY,
        SinkStream.ROYALTIES_MONTHLY, SinkStream.ROYALTY_ADJUSTMENTS, SinkStream.AD_REPORTS_LIVE,
        SinkStream.AD_REPORTS_FINAL);

    public static final ConfigDef DEFINITION = definition();

    public PostgresSinkConfig(final Map<?, ?> originals) {
        super(DEFINITION, originals);
    }

    private static ConfigDef definition() {
        final ConfigDef def = baseDefinition("melody-sink-postgres", SUPPORTED_STREAMS, 20_000, 17_073)
            .define(URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
                "JDBC URL of the coordinator the sink writes to, for example jdbc:postgresql://coordinator:5432/melody.")
            .define(USER, Type.STRING, "melody_sink", Identifiers.validator(), Importance.HIGH,
                "The sink's own role. The migration creates it (LOGIN, no other attribute) and grants it SELECT, "
                    + "INSERT and UPDATE on the sink's tables only (INSERT and SELECT on royalty adjustments).")
            .define(PASSWORD, Type.PASSWORD, null, Importance.HIGH,
                "Password of the sink's role. Never logged; give it through MELODY_PG_PASSWORD or " + PASSWORD_FILE
                    + ". The migration sets it on the role (hashed client-side with SCRAM-SHA-256).")
            .define(PASSWORD_FILE, Type.STRING, null, Importance.MEDIUM,
                "File holding the sink role's password (a mounted secret); wins over " + PASSWORD + ".")
            .define(ADMIN_URL, Type.STRING, null, Importance.MEDIUM,
                "JDBC URL of the administrative connection that runs the migration (tables, role, grants); "
                    + "defaults to " + URL + ". Used only at start.")
            .define(ADMIN_USER, Type.STRING, null, Importance.MEDIUM,
                "Role of the administrative connection (owner of the schema; needs CREATEROLE for the first "
                    + "start). Without it the migration is skipped and the schema must exist.")
            .define(ADMIN_PASSWORD, Type.PASSWORD, null, Importance.MEDIUM,
                "Password of the administrative role; through MELODY_PG_ADMIN_PASSWORD or " + ADMIN_PASSWORD_FILE
                    + ". Never logged.")
            .define(ADMIN_PASSWORD_FILE, Type.STRING, null, Importance.MEDIUM,
                "File holding the administrative role's password; wins over " + ADMIN_PASSWORD + ".")
            .define(SCHEMA, Type.STRING, "melody_sink", Identifiers.validator(), Importance.HIGH,
                "Schema of the sink's tables, created by the migration.")
            .define(MIGRATE, Type.BOOLEAN, true, Importance.MEDIUM,
                "Apply the migration on start through the administrative connection.")
            .define(SERIALIZABLE_RETRIES, Type.INT, 10, ConfigDef.Range.atLeast(0), Importance.LOW,
                "Immediate retries of a batch whose SERIALIZABLE transaction (royalty statements) failed on a "
                    + "serialization conflict, before backing off like an outage.")
            .define(SOCKET_TIMEOUT_S, Type.INT, 60, ConfigDef.Range.atLeast(1), Importance.LOW,
                "Read timeout of the sink's connection, in seconds: a write that gets no answer is retried.");
        for (final PostgresTable table : PostgresTable.values()) {
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

    public String adminUrl() {
        final String admin = getString(ADMIN_URL);
        return admin == null || admin.isBlank() ? url() : admin;
    }

    public String adminUser() {
        return getString(ADMIN_USER);
    }

    public String adminPassword() {
        return secret(ADMIN_PASSWORD, ADMIN_PASSWORD_FILE);
    }

    public String schema() {
        return getString(SCHEMA);
    }

    public boolean migrate() {
        return getBoolean(MIGRATE) && adminUser() != null && !adminUser().isBlank();
    }

    public int serializableRetries() {
        return getInt(SERIALIZABLE_RETRIES);
    }

    public int socketTimeoutSeconds() {
        return getInt(SOCKET_TIMEOUT_S);
    }

    public Map<PostgresTable, String> tableNames() {
        final Map<PostgresTable, String> names = new EnumMap<>(PostgresTable.class);
        for (final PostgresTable table : PostgresTable.values()) {
            names.put(table, getString(table.setting()));
        }
        return names;
    }
}
