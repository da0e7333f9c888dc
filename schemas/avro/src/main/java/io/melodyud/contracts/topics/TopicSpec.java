package io.melodyud.contracts.topics;

import java.util.Map;

/** One entry of the topic catalogue: what the broker needs to create and configure the topic. */
public record TopicSpec(String name, String description, String key, String value, int partitions,
                        Map<String, String> configs) {

    public TopicSpec {
        configs = Map.copyOf(configs);
    }
}
