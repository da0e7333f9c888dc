package io.melodyud.contracts.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Loads a component's settings: a properties file, then environment overrides. Defaults are filled afterwards by
 * the component's {@code ConfigDef}.
 *
 * <p>An environment variable {@code MELODY_SCHEMA_REGISTRY_URL} overrides {@code schema.registry.url}: the prefix
 * is dropped, the rest lower-cased, and matched against the known keys with dots and dashes read as underscores
 * (unknown keys map underscores to dots). This is how secrets reach a deployment without being written in a file.
 */
public final class ConfigLoader {

    public static final String ENV_PREFIX = "MELODY_";

    private ConfigLoader() {
    }

    /**
     * Reads {@code file} (skipped when null) and applies the {@code MELODY_*} variables of {@code env}. The
     * returned map is new; nothing passed in is modified.
     */
    public static Map<String, String> load(final Path file, final Map<String, String> env,
                                           final Iterable<String> knownKeys) {
        final Map<String, String> settings = new HashMap<>();
        if (file != null) {
            final Properties properties = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                properties.load(in);
            } catch (final IOException e) {
                throw new IllegalArgumentException("Cannot read configuration file " + file + ": " + e.getMessage(), e);
            }
            properties.stringPropertyNames().forEach(k -> settings.put(k, properties.getProperty(k).trim()));
        }
        final Map<String, String> byEnvName = new HashMap<>();
        for (final String key : knownKeys) {
            byEnvName.put(envName(key), key);
        }
        settings.keySet().forEach(key -> byEnvName.putIfAbsent(envName(key), key));
        env.forEach((name, value) -> {
            if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length()) {
                final String key = byEnvName.getOrDefault(name,
                    name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'));
                settings.put(key, value);
            }
        });
        return settings;
    }

    /** The environment variable that overrides {@code key}. */
    public static String envName(final String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /**
     * The settings under {@code prefix}, with the prefix removed: {@code kafka.security.protocol} becomes the
     * client setting {@code security.protocol}. Every Kafka client of a component takes these, so SASL and TLS
     * settings reach all of them.
     */
    public static Map<String, Object> withPrefix(final Map<String, ?> settings, final String prefix) {
        final Map<String, Object> result = new HashMap<>();
        settings.forEach((key, value) -> {
            if (key.startsWith(prefix)) {
                result.put(key.substring(prefix.length()), value);
            }
        });
        return result;
    }
}
