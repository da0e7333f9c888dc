package io.melodyud.contracts.topics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TopicCatalogueTest {

    private static TopicCatalogue parse(final String yaml) throws IOException {
        return TopicCatalogue.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void everyTopicTheCodeDeclaresIsInTheCatalogueWithTheSameFormats() {
        final TopicCatalogue catalogue = TopicCatalogue.load();
        for (final Topic<?, ?> topic : Topics.all()) {
            final TopicSpec spec = catalogue.find(topic.name()).orElse(null);
            assertTrue(spec != null, "Topics." + topic.name() + " is not in ops/topics/catalogue.yaml");
            assertEquals(spec.key(), topic.key().declaration(), "key format of " + topic.name());
            assertEquals(spec.value(), topic.value().declaration(), "value format of " + topic.name());
        }
    }

    @Test
    void everyCatalogueTopicIsDeclaredInTheCode() {
        final Set<String> inCode = Topics.all().stream().map(Topic::name).collect(Collectors.toSet());
        final Set<String> onlyInCatalogue = TopicCatalogue.load().topics().stream().map(TopicSpec::name)
            .filter(name -> !inCode.contains(name)).collect(Collectors.toCollection(TreeSet::new));
        assertTrue(onlyInCatalogue.isEmpty(), "catalogue topics missing from Topics: " + onlyInCatalogue);
    }

    @Test
    void compactedTopicsAreKeyedAndEventTopicsExpire() {
        for (final TopicSpec spec : TopicCatalogue.load().topics()) {
            final String policy = spec.configs().get("cleanup.policy");
            if (policy.contains("compact")) {
                assertFalse(spec.key().equals("bytes") && !spec.name().endsWith(".offsets"),
                    spec.name() + " is compacted but has no typed key");
            }
            if (policy.equals("delete")) {
                assertTrue(spec.configs().containsKey("retention.ms"), spec.name() + " must state its retention");
            }
        }
    }

    @Test
    void aDuplicateTopicIsRejected() {
        final String yaml = """
            topics:
              - {name: a.b, description: x, key: long, value: bytes, partitions: 1, configs: {cleanup.policy: delete}}
              - {name: a.b, description: y, key: long, value: bytes, partitions: 1, configs: {cleanup.policy: delete}}
            """;
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(yaml));
        assertTrue(e.getMessage().contains("declared twice"), e.getMessage());
    }

    @Test
    void invalidEntriesAreRejectedWithTheTopicNamed() {
        final List<String> bad = List.of(
            "{name: 'bad name!', description: x, key: long, value: bytes, partitions: 1, configs: {cleanup.policy: delete}}",
            "{name: t.zero, description: x, key: long, value: bytes, partitions: 0, configs: {cleanup.policy: delete}}",
            "{name: t.fmt, description: x, key: json, value: bytes, partitions: 1, configs: {cleanup.policy: delete}}",
            "{name: t.policy, description: x, key: long, value: bytes, partitions: 1, configs: {}}",
            "{name: t.doc, key: long, value: bytes, partitions: 1, configs: {cleanup.policy: delete}}");
        for (final String entry : bad) {
            assertThrows(IllegalArgumentException.class, () -> parse("topics:\n  - " + entry + "\n"), entry);
        }
    }

    @Test
    void avroFormatsNameTheirSchema() {
        assertEquals("avro:io.melodyud.avro.event.PlayEvent", Topics.PLAYS.value().declaration());
        assertEquals("long", Topics.PLAYS.key().declaration());
    }
}
