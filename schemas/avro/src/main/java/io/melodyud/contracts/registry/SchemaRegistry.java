package io.melodyud.contracts.registry;

import org.apache.avro.Schema;

/**
 * What the serdes need of a schema registry. {@link SchemaRegistryClient} talks to a real one over the
 * Confluent-compatible API; topology unit tests use an in-memory one from the test fixtures.
 */
public interface SchemaRegistry {

    /** Registers {@code schema} under {@code subject} (or finds it there) and returns its id. */
    int register(String subject, Schema schema);

    /** The id of {@code schema} under {@code subject}; fails when it was never registered there. */
    int lookup(String subject, Schema schema);

    /** The schema with {@code id}; throws {@link RegistryException} with status 404 when unknown. */
    Schema schemaById(int id);

    /** Whether serializers may register new schemas ({@code auto.register.schemas}). */
    boolean autoRegister();
}
