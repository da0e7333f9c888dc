package io.melodyud.topologies.plays;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Integration tests share the stack's input topics with whatever ran before (the benchmark leaves millions of
 * plays there). A test application starts from the end of its input, committed for its group before it starts,
 * so that it reads only what the test sends.
 */
public final class InputPositions {

    private InputPositions() {
    }

    public static void startAtEnd(final String bootstrapServers, final String applicationId, final String topic)
            throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
                .forEach(p -> request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            final Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
            admin.listOffsets(request).all().get()
                .forEach((partition, info) -> positions.put(partition, new OffsetAndMetadata(info.offset())));
            admin.alterConsumerGroupOffsets(applicationId, positions).all().get();
        }
    }
}
