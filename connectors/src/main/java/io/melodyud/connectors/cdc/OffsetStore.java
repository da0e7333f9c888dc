package io.melodyud.connectors.cdc;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Reads and resets the offsets Debezium's {@code KafkaOffsetBackingStore} keeps for an engine in the offsets
 * topic. Keys are Debezium's JSON {@code ["<engine name>",{"server":"<engine name>"}]}; a null value removes an
 * engine's offsets, so that its next start takes a new snapshot.
 */
final class OffsetStore {

    private final Map<String, Object> kafka;
    private final String topic;

    OffsetStore(final Map<String, Object> kafkaClientSettings, final String topic) {
        this.kafka = kafkaClientSettings;
        this.topic = topic;
    }

    /** The latest offsets of each key of {@code engineName} (raw key bytes to value text); empty when none. */
    Map<String, String> offsetsOf(final String engineName) {
        final Properties props = new Properties();
        props.putAll(kafka);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final Map<String, String> latest = new HashMap<>();
        final String prefix = "[\"" + engineName + "\",";
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
            if (partitions.isEmpty()) {
                return latest;
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            while (partitions.stream().anyMatch(p -> consumer.position(p, Duration.ofSeconds(30)) < end.get(p))) {
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.key() == null) {
                        continue;
                    }
                    final String key = new String(record.key(), StandardCharsets.UTF_8);
                    if (key.startsWith(prefix)) {
                        if (record.value() == null) {
                            latest.remove(key);
                        } else {
                            latest.put(key, new String(record.value(), StandardCharsets.UTF_8));
                        }
                    }
                }
            }
        } catch (final org.apache.kafka.common.errors.TimeoutException e) {
            throw new IllegalStateException("Cannot read the offsets topic " + topic + ": " + e.getMessage(), e);
        }
        return latest;
    }

    boolean hasOffsets(final String engineName) {
        return !offsetsOf(engineName).isEmpty();
    }

    /** Removes the offsets of {@code engineName}; returns how many keys were removed. */
    int reset(final String engineName) {
        final Map<String, String> offsets = offsetsOf(engineName);
        final Properties props = new Properties();
        props.putAll(kafka);
        props.put("acks", "all");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (final String key : offsets.keySet()) {
                producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), null));
            }
            producer.flush();
        }
        return offsets.size();
    }
}
