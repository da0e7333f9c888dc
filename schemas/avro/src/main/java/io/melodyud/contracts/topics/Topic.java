package io.melodyud.contracts.topics;

/**
 * A topic with the types of its keys and values. Declared once in {@link Topics}; its partitions and configs are
 * in the catalogue ({@link TopicCatalogue}).
 */
public record Topic<K, V>(String name, Format<K> key, Format<V> value) {

    @Override
    public String toString() {
        return name;
    }
}
