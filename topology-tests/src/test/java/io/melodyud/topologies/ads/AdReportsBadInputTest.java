package io.melodyud.topologies.ads;

import static io.melodyud.contracts.fixtures.AvroFixtures.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.avro.cdc.AdCampaign;
import io.melodyud.avro.cdc.CampaignStatus;
import io.melodyud.avro.cdc.User;
import io.melodyud.avro.common.Tier;
import io.melodyud.avro.event.AdClick;
import io.melodyud.avro.event.AdImpression;
import io.melodyud.avro.output.AdReport;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.contracts.topics.Topic;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.common.DeadLetterHandlers;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What each kind of bad input gets: a dead letter with the reason and the source position in headers, a count, and
 * the application goes on (a good impression sent afterwards is counted). The setup sends the fixture campaign and
 * listener first, so a bad campaign or user change is the second record of its topic (offset 1).
 */
class AdReportsBadInputTest {

    private static final long LISTENER = AvroFixtures.USER_ID;
    private static final String HOUR_KEY = AdEvents.CAMPAIGN + "|CO|" + t(-30).toEpochMilli();

    @TempDir
    Path stateDir;

    private AdReportsDriver app;
    private final AdEvents events = new AdEvents(2);

    @BeforeEach
    void start() {
        app = new AdReportsDriver(stateDir);
        app.change(AvroFixtures.adCampaign().build());
        app.change(AvroFixtures.user().build());
    }

    @AfterEach
    void stop() {
        app.close();
    }

    private AdImpression good() {
        return events.impression(LISTENER, t(0));
    }

    /** Sends the bad record, then a good impression, and returns the only dead letter, checked. */
    private TestRecord<byte[], byte[]> deadLetterFor(final Runnable sendBad, final String reason,
                                                     final Topic<?, ?> source, final long offset) {
        sendBad.run();
        app.send(good());
        final AdReport report = AdReportsDriver.latest(app.live.readRecordsToList()).get(HOUR_KEY);
        assertNotNull(report, "the good impression after it is counted");
        assertEquals(1, report.getImpressions(), "the good impression after it is counted, the bad one is not");
        final List<TestRecord<byte[], byte[]>> letters = app.deadLetters.readRecordsToList();
        assertEquals(1, letters.size(), "one dead letter");
        final TestRecord<byte[], byte[]> letter = letters.get(0);
        assertEquals(reason, header(letter.headers(), DeadLetterHandlers.REASON_HEADER));
        assertEquals("processing", header(letter.headers(), DeadLetterHandlers.STAGE_HEADER));
        assertEquals(source.name(), header(letter.headers(), DeadLetterHandlers.TOPIC_HEADER));
        assertEquals("0", header(letter.headers(), DeadLetterHandlers.PARTITION_HEADER));
        assertEquals(Long.toString(offset), header(letter.headers(), DeadLetterHandlers.OFFSET_HEADER));
        assertEquals(1, app.counters.count(DeadLetterHandlers.DEAD_LETTER, reason));
        assertEquals(1, app.counters.total(DeadLetterHandlers.DEAD_LETTER));
        return letter;
    }

    /**
     * For records that fail to deserialize. TopologyTestDriver does not capture the dead letters the
     * deserialization handler returns, so the count and the application going on are checked here;
     * {@code AdReportsIT} checks the dead letters on the real broker.
     */
    private void deserializationFailure(final Runnable sendBad, final String reason) {
        sendBad.run();
        app.send(good());
        assertEquals(1, AdReportsDriver.latest(app.live.readRecordsToList()).get(HOUR_KEY).getImpressions());
        assertEquals(1, app.counters.count(DeadLetterHandlers.DEAD_LETTER, reason), reason);
        assertEquals(1, app.counters.total(DeadLetterHandlers.DEAD_LETTER));
    }

    private <V> V decode(final Topic<?, V> topic, final byte[] bytes) {
        return app.serdes.value(topic).deserializer().deserialize(topic.name(), bytes);
    }

    private static String header(final Headers headers, final String name) {
        final Header header = headers.lastHeader(name);
        assertNotNull(header, "header " + name);
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    // ---- bytes that are not a record ------------------------------------------------------------------------------

    @Test
    void undecodableImpressionBytesAreADeadLetter() {
        final byte[] garbage = {0, 0, 0, 0, 1, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        deserializationFailure(() -> app.rawImpressions.pipeInput(new byte[8], garbage), "undecodable");
    }

    @Test
    void plainJsonIsNotWireFormat() {
        final byte[] json = "{\"impression_id\": \"b7e0a94c\"}".getBytes(StandardCharsets.UTF_8);
        deserializationFailure(() -> app.rawClicks.pipeInput(new byte[8], json), "not-wire-format");
    }

    @Test
    void anUnknownSchemaIdIsADeadLetter() {
        final byte[] bytes = app.serdes.value(Topics.AD_IMPRESSIONS).serializer()
            .serialize(Topics.AD_IMPRESSIONS.name(), good());
        bytes[4] = 99;
        deserializationFailure(() -> app.rawImpressions.pipeInput(new byte[8], bytes), "unknown-schema-id");
    }

    @Test
    void aRecordMissingFieldsDoesNotDecode() {
        final byte[] bytes = app.serdes.value(Topics.AD_IMPRESSIONS).serializer()
            .serialize(Topics.AD_IMPRESSIONS.name(), good());
        deserializationFailure(() -> app.rawImpressions.pipeInput(new byte[8], Arrays.copyOf(bytes, 24)),
            "undecodable");
    }

    @Test
    void undecodableCampaignAndUserChangesAreDeadLetters() {
        final byte[] garbage = {0, 0, 0, 0, 1, (byte) 0xfe, (byte) 0xfe, (byte) 0xfe};
        app.rawCampaigns.pipeInput(new byte[8], garbage);
        app.rawUsers.pipeInput(new byte[8], garbage);
        app.send(good());
        assertEquals(2, app.counters.count(DeadLetterHandlers.DEAD_LETTER, "undecodable"));
        assertEquals(1, AdReportsDriver.latest(app.live.readRecordsToList()).get(HOUR_KEY).getImpressions());
    }

    // ---- impressions ----------------------------------------------------------------------------------------------

    @Test
    void anImpressionWithoutAKeyIsADeadLetter() {
        deadLetterFor(() -> app.impressions.pipeInput(null, good(), t(0)), "null-key", Topics.AD_IMPRESSIONS, 0);
    }

    @Test
    void aTombstoneOnTheImpressionsTopicIsADeadLetter() {
        deadLetterFor(() -> app.impressions.pipeInput(LISTENER, null, t(0)), "null-value", Topics.AD_IMPRESSIONS, 0);
    }

    @Test
    void anImpressionKeyedByAnotherUserIsADeadLetter() {
        final AdImpression impression = good();
        final TestRecord<byte[], byte[]> letter = deadLetterFor(
            () -> app.impressions.pipeInput(LISTENER + 1, impression, t(0)), "invalid-impression:key-not-user",
            Topics.AD_IMPRESSIONS, 0);
        assertEquals(impression, decode(Topics.AD_IMPRESSIONS, letter.value()), "the original record");
    }

    @Test
    void anImpressionWithoutAValidUserIsADeadLetter() {
        final AdImpression impression = events.impression(0, t(0));
        deadLetterFor(() -> app.impressions.pipeInput(0L, impression, t(0)), "invalid-impression:id",
            Topics.AD_IMPRESSIONS, 0);
    }

    @Test
    void theNilImpressionIdIsADeadLetter() {
        final AdImpression impression = good();
        impression.setImpressionId(new UUID(0, 0));
        deadLetterFor(() -> app.send(impression), "invalid-impression:id", Topics.AD_IMPRESSIONS, 0);
    }

    @Test
    void anImpressionServedBefore2000IsADeadLetter() {
        deadLetterFor(() -> app.send(events.impression(LISTENER, Instant.parse("1970-01-01T00:00:00Z"))),
            "invalid-impression:timestamp-before-2000", Topics.AD_IMPRESSIONS, 0);
    }

    @Test
    void anImpressionFarInTheFutureIsADeadLetterAndDoesNotMoveEventTime() {
        deadLetterFor(() -> app.send(events.impression(LISTENER, Instant.parse("2031-01-01T00:00:00Z"))),
            "invalid-impression:timestamp-in-future", Topics.AD_IMPRESSIONS, 0);
        // Had it moved event time to 2031, the good impression would have been late.
        assertTrue(app.late.isEmpty());
    }

    @Test
    void aCountryThatIsNotAnIsoCodeIsADeadLetter() {
        final AdImpression impression = good();
        impression.setCountry("Colombia");
        deadLetterFor(() -> app.send(impression), "invalid-impression:country", Topics.AD_IMPRESSIONS, 0);
    }

    @Test
    void anImpressionOfAnUnknownCampaignIsADeadLetter() {
        deadLetterFor(() -> app.send(events.impression(AdEvents.CAMPAIGN + 500, LISTENER, "CO", t(0))),
            "unknown-campaign", Topics.AD_IMPRESSIONS, 0);
    }

    @Test
    void anImpressionServedWhileTheCampaignWasPausedIsNotBilled() {
        app.change(AvroFixtures.adCampaign().setStatus(CampaignStatus.PAUSED).setUpdatedAt(t(-20)).build());
        app.send(events.impression(LISTENER, t(-10)));
        app.change(AvroFixtures.adCampaign().setUpdatedAt(t(-5)).build());
        final List<TestRecord<byte[], byte[]>> letters = app.deadLetters.readRecordsToList();
        assertEquals(1, letters.size());
        assertEquals("invalid-impression:campaign-not-active", header(letters.get(0).headers(),
            DeadLetterHandlers.REASON_HEADER));
        app.send(good());
        assertEquals(1, AdReportsDriver.latest(app.live.readRecordsToList()).get(HOUR_KEY).getImpressions(),
            "served after the campaign resumed: counted");
    }

    @Test
    void anImpressionOutsideTheCampaignDatesIsADeadLetter() {
        // The flight is moved to start five minutes before the good impression.
        app.change(AvroFixtures.adCampaign().setStartsAt(t(-5)).setUpdatedAt(t(-25)).build());
        deadLetterFor(() -> app.send(events.impression(LISTENER, t(-10))),
            "invalid-impression:outside-campaign-dates", Topics.AD_IMPRESSIONS, 0);
    }

    @Test
    void anImpressionInACountryTheCampaignDoesNotTargetIsADeadLetter() {
        deadLetterFor(() -> app.send(events.impression(AdEvents.CAMPAIGN, LISTENER, "PE", t(0))),
            "invalid-impression:country-not-targeted", Topics.AD_IMPRESSIONS, 0);
    }

    // ---- clicks -----------------------------------------------------------------------------------------------

    @Test
    void aClickOnAnotherListenersImpressionIsADeadLetter() {
        final AdImpression impression = good();
        app.send(impression);
        final AdClick click = events.click(impression, t(1));
        click.setUserId(LISTENER + 9);
        app.clicks.pipeInput(click.getUserId(), click, t(1));
        final List<TestRecord<byte[], byte[]>> letters = app.deadLetters.readRecordsToList();
        assertEquals(1, letters.size());
        assertEquals(AdRules.CLICK_USER_MISMATCH, header(letters.get(0).headers(), DeadLetterHandlers.REASON_HEADER));
        assertEquals(click, decode(Topics.AD_CLICKS, letters.get(0).value()));
        final AdReport report = AdReportsDriver.latest(app.live.readRecordsToList()).get(HOUR_KEY);
        assertEquals(0, report.getClicks() + report.getUnattributedClicks(), "not counted at all");
    }

    @Test
    void aHeldClickOnAnotherListenersImpressionIsADeadLetterWhenTheImpressionArrives() {
        final AdImpression impression = good();
        final AdClick click = events.click(impression, t(1));
        click.setUserId(LISTENER + 9);
        app.clicks.pipeInput(click.getUserId(), click, t(1));
        app.send(impression);
        final List<TestRecord<byte[], byte[]>> letters = app.deadLetters.readRecordsToList();
        assertEquals(1, letters.size());
        final TestRecord<byte[], byte[]> letter = letters.get(0);
        assertEquals(AdRules.CLICK_USER_MISMATCH, header(letter.headers(), DeadLetterHandlers.REASON_HEADER));
        assertEquals(Topics.AD_CLICKS.name(), header(letter.headers(), DeadLetterHandlers.TOPIC_HEADER));
        assertEquals("0", header(letter.headers(), DeadLetterHandlers.OFFSET_HEADER), "the click's own position");
        assertEquals(click, decode(Topics.AD_CLICKS, letter.value()));
        assertEquals(1, app.counters.count(DeadLetterHandlers.DEAD_LETTER, AdRules.CLICK_USER_MISMATCH));
        final AdReport report = AdReportsDriver.latest(app.live.readRecordsToList()).get(HOUR_KEY);
        assertEquals(1, report.getImpressions());
        assertEquals(0, report.getClicks() + report.getUnattributedClicks());
    }

    @Test
    void aClickReportingAnotherCampaignThanItsImpressionIsADeadLetter() {
        app.change(AvroFixtures.adCampaign().setCampaignId(AdEvents.CAMPAIGN + 3).build());
        final AdImpression impression = events.impression(LISTENER, t(-2));
        app.send(impression);
        app.live.readRecordsToList();
        final AdClick click = events.click(impression, t(-1));
        click.setCampaignId(AdEvents.CAMPAIGN + 3);
        app.send(click);
        final List<TestRecord<byte[], byte[]>> letters = app.deadLetters.readRecordsToList();
        assertEquals(1, letters.size());
        assertEquals(AdRules.CLICK_CAMPAIGN_MISMATCH, header(letters.get(0).headers(),
            DeadLetterHandlers.REASON_HEADER));
        assertEquals(Topics.AD_CLICKS.name(), header(letters.get(0).headers(), DeadLetterHandlers.TOPIC_HEADER));
        assertEquals(1, app.counters.count(DeadLetterHandlers.DEAD_LETTER, AdRules.CLICK_CAMPAIGN_MISMATCH));
        assertTrue(app.live.isEmpty(), "counted nowhere");
    }

    @Test
    void aClickFromACountryThatIsNotAnIsoCodeIsADeadLetter() {
        final AdClick click = events.click(good(), t(1));
        click.setCountry("co");
        deadLetterFor(() -> app.send(click), "invalid-click:country", Topics.AD_CLICKS, 0);
    }

    @Test
    void aClickKeyedByAnotherUserIsADeadLetter() {
        final AdClick click = events.click(good(), t(1));
        deadLetterFor(() -> app.clicks.pipeInput(LISTENER + 1, click, t(1)), "invalid-click:key-not-user",
            Topics.AD_CLICKS, 0);
    }

    @Test
    void aTombstoneOnTheClicksTopicIsADeadLetter() {
        deadLetterFor(() -> app.clicks.pipeInput(LISTENER, null, t(0)), "null-value", Topics.AD_CLICKS, 0);
    }

    @Test
    void aClickOfAnUnknownCampaignIsADeadLetter() {
        final AdClick click = events.click(good(), t(1));
        click.setCampaignId(AdEvents.CAMPAIGN + 600);
        deadLetterFor(() -> app.send(click), "unknown-campaign", Topics.AD_CLICKS, 0);
    }

    // ---- users ------------------------------------------------------------------------------------------------

    @Test
    void aUserChangeKeyedByAnotherIdIsADeadLetter() {
        final User user = AdEvents.user(LISTENER, Tier.PREMIUM, t(-100));
        deadLetterFor(() -> app.users.pipeInput(LISTENER + 1, user, t(-100)), "invalid-user:key-mismatch",
            Topics.CDC_USERS, 1);
    }

    @Test
    void aUserWithACountryThatIsNotAnIsoCodeIsADeadLetter() {
        final User user = AdEvents.user(LISTENER + 5, Tier.FREE, t(-100));
        user.setCountry("");
        deadLetterFor(() -> app.change(user), "invalid-user:country", Topics.CDC_USERS, 1);
    }

    @Test
    void aUserTombstoneErasesTheUserAndIsNoDeadLetter() {
        app.users.pipeInput(LISTENER, null, t(-100));
        app.send(good());
        assertTrue(app.deadLetters.isEmpty());
        assertEquals(1, app.counters.count("assumed-free", "unknown-user"), "nothing is left of the listener");
    }

    // ---- campaigns --------------------------------------------------------------------------------------------

    @Test
    void aNegativeCpmIsADeadLetterAndTheValidVersionStays() {
        final AdCampaign campaign = AvroFixtures.adCampaign().setCpm(new BigDecimal("-1.0000")).setUpdatedAt(t(-20))
            .build();
        final TestRecord<byte[], byte[]> letter = deadLetterFor(() -> app.change(campaign),
            "invalid-campaign:negative-cpm", Topics.CDC_AD_CAMPAIGNS, 1);
        assertEquals(campaign, decode(Topics.CDC_AD_CAMPAIGNS, letter.value()));
    }

    @Test
    void aBudgetOfZeroIsADeadLetter() {
        deadLetterFor(() -> app.change(AvroFixtures.adCampaign().setBudget(new BigDecimal("0.00")).build()),
            "invalid-campaign:budget", Topics.CDC_AD_CAMPAIGNS, 1);
    }

    @Test
    void aCurrencyThatIsNotAnIsoCodeIsADeadLetter() {
        deadLetterFor(() -> app.change(AvroFixtures.adCampaign().setCurrency("pesos").build()),
            "invalid-campaign:currency", Topics.CDC_AD_CAMPAIGNS, 1);
    }

    @Test
    void aChangeOfCurrencyIsADeadLetter() {
        deadLetterFor(() -> app.change(AvroFixtures.adCampaign().setCurrency("USD").setUpdatedAt(t(-20)).build()),
            AdRules.CURRENCY_CHANGED, Topics.CDC_AD_CAMPAIGNS, 1);
    }

    @Test
    void aCampaignKeyedByAnotherIdIsADeadLetter() {
        deadLetterFor(() -> app.campaigns.pipeInput(AdEvents.CAMPAIGN + 1, AvroFixtures.adCampaign().build(), t(-30)),
            "invalid-campaign:key-mismatch", Topics.CDC_AD_CAMPAIGNS, 1);
    }

    @Test
    void aCampaignWithoutAKeyIsADeadLetter() {
        deadLetterFor(() -> app.campaigns.pipeInput(null, AvroFixtures.adCampaign().build(), t(-30)), "null-key",
            Topics.CDC_AD_CAMPAIGNS, 1);
    }

    @Test
    void aCampaignEndingBeforeItStartsIsADeadLetter() {
        final AdCampaign campaign = AvroFixtures.adCampaign().setEndsAt(Instant.parse("2025-01-01T00:00:00Z")).build();
        deadLetterFor(() -> app.change(campaign), "invalid-campaign:dates", Topics.CDC_AD_CAMPAIGNS, 1);
    }

    @Test
    void aCampaignChangeDatedInTheFutureIsADeadLetter() {
        deadLetterFor(() -> app.change(AvroFixtures.adCampaign().setUpdatedAt(Instant.parse("2030-01-01T00:00:00Z"))
            .build()), "invalid-campaign:timestamp-in-future", Topics.CDC_AD_CAMPAIGNS, 1);
    }
}
