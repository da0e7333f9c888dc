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
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.Test;

/** The applications that read CDC topics read them under the connector's {@code cdc.topic.prefix}. */
class CdcTopicPrefixTest {

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

    /** The CDC topics among the topology's sources, global stores included. */
    private static Set<String> cdcSources(final Topology topology) {
        final TopologyDescription description = topology.describe();
        final Stream<TopologyDescription.Node> nodes = Stream.concat(
            description.subtopologies().stream().flatMap(s -> s.nodes().stream()),
            description.globalStores().stream().map(TopologyDescription.GlobalStore::source));
        return nodes.filter(n -> n instanceof TopologyDescription.Source)
            .flatMap(n -> ((TopologyDescription.Source) n).topicSet().stream())
            .filter(topic -> topic.contains(".cdc."))
            .collect(Collectors.toCollection(TreeSet::new));
    }
}
