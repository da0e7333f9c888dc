package io.melodyud.topologies.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.melodyud.contracts.fixtures.InMemorySchemaRegistry;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.ads.AdReportsConfig;
import io.melodyud.topologies.ads.AdReportsTopology;
import io.melodyud.topologies.royalties.RoyaltiesConfig;
import io.melodyud.topologies.royalties.RoyaltiesTopology;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.Topology;
import org.junit.jupiter.api.Test;

/** The applications that read CDC topics read them under the connector's {@code cdc.topic.prefix}. */
class CdcTopicPrefixTest {

    private static final Pattern TOPIC = Pattern.compile("(?:topics|topic): \\[?([a-z0-9._-]+)");

    @Test
    void royaltiesReadUsersTracksAndRatesUnderThePrefix() {
        final Topology topology = RoyaltiesTopology.build(new RoyaltiesConfig(settings("staging.cdc")),
            new TopicSerdes(new InMemorySchemaRegistry()), new ErrorCounters());
        assertEquals(Set.of("staging.cdc.users", "staging.cdc.tracks", "staging.cdc.royalty-rates"),
            cdcSources(topology));
    }

    @Test
    void adReportsReadCampaignsAndUsersUnderThePrefix() {
        final Topology topology = AdReportsTopology.build(new AdReportsConfig(settings("staging.cdc")),
            new TopicSerdes(new InMemorySchemaRegistry()), new ErrorCounters(), 6);
        assertEquals(Set.of("staging.cdc.users", "staging.cdc.ad-campaigns"), cdcSources(topology));
    }

    @Test
    void theDefaultIsTheCatalogueName() {
        assertEquals(Topics.CDC_ROYALTY_RATES.name(),
            new RoyaltiesConfig(Map.of(RegistryConfig.URL, "mock://in-memory")).cdcTopic(Topics.CDC_ROYALTY_RATES));
    }

    @Test
    void aPrefixThatCannotNameATopicIsRejectedAtStartup() {
        assertThrows(ConfigException.class, () -> new RoyaltiesConfig(settings("staging cdc")));
        assertThrows(ConfigException.class, () -> new AdReportsConfig(settings("cdc/users")));
    }

    @Test
    void onlyCdcTopicsTakeThePrefix() {
        final RoyaltiesConfig config = new RoyaltiesConfig(settings("staging.cdc"));
        assertThrows(IllegalArgumentException.class, () -> config.cdcTopic(Topics.PLAYS));
    }

    private static Map<String, Object> settings(final String prefix) {
        return Map.of(RegistryConfig.URL, "mock://in-memory", StreamsAppConfig.HTTP_PORT, 0,
            StreamsAppConfig.CDC_TOPIC_PREFIX, prefix);
    }

    /** The source topics of the topology that are not event topics. */
    private static Set<String> cdcSources(final Topology topology) {
        final Set<String> sources = new TreeSet<>();
        final Matcher matcher = TOPIC.matcher(topology.describe().toString());
        while (matcher.find()) {
            final String topic = matcher.group(1);
            if (topic.contains(".cdc.")) {
                sources.add(topic);
            }
        }
        return sources;
    }
}
