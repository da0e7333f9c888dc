package io.melodyud.contracts.registry;

import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

/**
 * Settings of the schema registry client. The names are those of Confluent's serdes, so that a configuration
 * written for them works here unchanged; the client speaks the Confluent-compatible REST API (Apicurio serves it
 * at {@code /apis/ccompat/v7}).
 */
public final class RegistryConfig extends AbstractConfig {

    public static final String URL = "schema.registry.url";
    public static final String AUTO_REGISTER = "auto.register.schemas";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";
    public static final String RETRIES = "schema.registry.retries";
    public static final String RETRY_BACKOFF_MS = "schema.registry.retry.backoff.ms";

    public static final ConfigDef DEFINITION = new ConfigDef()
        .define(URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
            "Base URL of the Confluent-compatible registry API, for example "
                + "http://registry:8080/apis/ccompat/v7 for Apicurio Registry 3.")
        .define(AUTO_REGISTER, Type.BOOLEAN, true, Importance.MEDIUM,
            "Whether serializers register the schema of the records they write. When false, the schema must "
                + "already be registered under the subject and serializers only look its id up; use false in "
                + "production so that only the release process changes contracts.")
        .define(BASIC_AUTH_USER_INFO, Type.PASSWORD, null, Importance.MEDIUM,
            "Credentials for HTTP basic authentication, as user:password. Never logged. Supply it from the "
                + "environment or a file (see the configuration reference), not in a committed file.")
        .define(REQUEST_TIMEOUT_MS, Type.INT, 10_000, ConfigDef.Range.atLeast(1), Importance.LOW,
            "Timeout of one HTTP request to the registry, in milliseconds.")
        .define(RETRIES, Type.INT, 5, ConfigDef.Range.atLeast(0), Importance.LOW,
            "How many times a request that failed with a connection error or a 5xx answer is retried. "
                + "4xx answers are never retried: they are the caller's mistake.")
        .define(RETRY_BACKOFF_MS, Type.LONG, 200L, ConfigDef.Range.atLeast(0), Importance.LOW,
            "Initial backoff between retries, doubled after each failure.");

    public RegistryConfig(final Map<?, ?> originals) {
        super(DEFINITION, originals, false);
    }

    public String url() {
        final String url = getString(URL);
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    public boolean autoRegister() {
        return getBoolean(AUTO_REGISTER);
    }

    /** The basic-auth credentials, or null when the registry is open. */
    public Password userInfo() {
        return getPassword(BASIC_AUTH_USER_INFO);
    }

    public int requestTimeoutMs() {
        return getInt(REQUEST_TIMEOUT_MS);
    }

    public int retries() {
        return getInt(RETRIES);
    }

    public long retryBackoffMs() {
        return getLong(RETRY_BACKOFF_MS);
    }
}
