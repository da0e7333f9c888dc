package io.melodyud.topologies.ads;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.melodyud.avro.cdc.AdCampaign;
import io.melodyud.avro.cdc.User;
import io.melodyud.avro.event.AdClick;
import io.melodyud.avro.event.AdImpression;
import io.melodyud.avro.output.AdReport;
import io.melodyud.avro.output.PacingAlert;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.StackClient;
import io.melodyud.topologies.common.DeadLetterHandlers;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ad-reports application as a separate process on the real broker and registry of the local stack: killed
 * with SIGKILL in the middle of a stream of impressions and clicks, restarted from an empty state directory (its
 * state comes back from the changelogs), every report is still exact and each pacing alert was published once; the
 * HTTP API answers from the restored state. And on the real broker: final reports when the hours close, a late
 * impression in the late topic, bad records as dead letters with their original bytes. Campaign and user ids are
 * drawn at random per run, and erased (tombstones) at the end, so that runs never mix.
 */
class AdReportsIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    private StackClient kafka;
    private String applicationId;
    private long campaignBase;
    private long userBase;
    private Process app;
    private final List<Long> campaignsToErase = new ArrayList<>();
    private final List<Long> usersToErase = new ArrayList<>();

    @BeforeEach
    void setUp(final TestInfo test) {
        kafka = new StackClient();
        applicationId = "it-" + test.getTestMethod().orElseThrow().getName() + "-" + Long.toHexString(System.nanoTime());
        final SplittableRandom random = new SplittableRandom();
        campaignBase = 800_000_000L + random.nextLong(100_000_000L) * 10;
        userBase = 900_000_000_000L + random.nextLong(1_000_000L) * 1_000;
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (app != null) {
                app.destroyForcibly().waitFor();
            }
            // Kept for a look after a failure (the work directory is deleted).
            final Path log = work.resolve("app.log");
            if (Files.exists(log)) {
                Files.createDirectories(Path.of("target", "it-logs"));
                Files.copy(log, Path.of("target", "it-logs", applicationId + ".log"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            campaignsToErase.forEach(id -> kafka.send(Topics.CDC_AD_CAMPAIGNS, id, null));
            usersToErase.forEach(id -> kafka.send(Topics.CDC_USERS, id, null));
            kafka.producer.flush();
            kafka.deleteApplication(applicationId);
        } finally {
            kafka.close();
        }
    }

    private Process startApp(final Path stateDir, final int httpPort, final String... settings) throws IOException {
        final List<String> lines = kafka.appSettings(applicationId, stateDir, httpPort);
        // The killed instance's members hold their partitions until their session expires.
        lines.add("kafka.session.timeout.ms=10000");
        lines.addAll(List.of(settings));
        return StackClient.startApp(AdReportsApp.class, lines, work.resolve("app-" + System.nanoTime() + ".properties"),
            work.resolve("app.log"));
    }

    private void sendCdc(final AdScenario scenario) {
        for (final AdScenario.Campaign campaign : scenario.campaigns) {
            campaignsToErase.add(campaign.id());
            campaign.versions().forEach(v -> kafka.send(Topics.CDC_AD_CAMPAIGNS, v.getCampaignId(), v));
        }
        for (final User user : scenario.users) {
            usersToErase.add(user.getUserId());
            kafka.send(Topics.CDC_USERS, user.getUserId(), user);
        }
        kafka.producer.flush();
    }

    private void sendEvents(final List<Object> events) {
        for (final Object event : events) {
            if (event instanceof AdImpression impression) {
                kafka.send(Topics.AD_IMPRESSIONS, impression.getUserId(), impression);
            } else {
                final AdClick click = (AdClick) event;
                kafka.send(Topics.AD_CLICKS, click.getUserId(), click);
            }
        }
        kafka.producer.flush();
    }

    /**
     * Waits until every intake partition has the campaigns: each partition of the broadcast topic holds them (and a
     * transaction marker), and the application has consumed it to the end.
     */
    private void awaitCampaigns(final int versions) throws InterruptedException {
        final String broadcast = applicationId + "-" + AdReportsTopology.CAMPAIGN_BROADCAST_TOPIC + "-repartition";
        StackClient.await("campaigns broadcast to every intake partition", () -> {
            try {
                return kafka.consumedToEnd(applicationId, broadcast, versions);
            } catch (final Exception e) {
                return false;
            }
        });
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private Map<String, AdScenario.Totals> latest(final KafkaConsumer<byte[], byte[]> reader,
                                                  final Map<String, AdReport> seen, final AdScenario scenario) {
        for (final AdReport report : kafka.poll(reader, Topics.AD_REPORTS_LIVE)) {
            final String key = AdAggregationProcessor.outputKey(report);
            final AdReport before = seen.get(key);
            final boolean ours = scenario.campaigns.stream().anyMatch(c -> c.id() == report.getCampaignId());
            if (ours && (before == null || before.getVersion() < report.getVersion())) {
                seen.put(key, report);
            }
        }
        final Map<String, AdScenario.Totals> totals = new java.util.TreeMap<>();
        seen.forEach((key, report) -> totals.put(key, AdScenario.Totals.of(report)));
        return totals;
    }

    @Test
    void reportsStayExactWhenTheApplicationIsKilledAndRestartedWithoutItsState() throws Exception {
        final Instant start = Instant.now().minus(Duration.ofMinutes(15));
        final AdScenario scenario = new AdScenario(7, campaignBase, userBase, 18_000, start, Duration.ofMillis(40),
            Duration.ofMinutes(30).toMillis());
        // The small campaign's budget is set so that its spend crosses 80% and 100% during the run.
        final long small = campaignBase + 2;
        final BigDecimal budget = scenario.spendOf(small).multiply(new BigDecimal("0.9"))
            .setScale(2, RoundingMode.DOWN);
        scenario.campaigns.get(2).versions().get(0).setBudget(budget);
        final List<Object> events = scenario.events;
        final int third = events.size() / 3;

        kafka.startAtEnd(applicationId, Topics.AD_IMPRESSIONS, Topics.AD_CLICKS, Topics.CDC_USERS,
            Topics.CDC_AD_CAMPAIGNS);
        final int port = freePort();
        final Map<String, AdReport> seen = new HashMap<>();
        final List<PacingAlert> alerts = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> reports = kafka.committedReader(Topics.AD_REPORTS_LIVE);
             KafkaConsumer<byte[], byte[]> alertReader = kafka.committedReader(Topics.AD_PACING_ALERTS)) {
            sendCdc(scenario);
            // A grace of half an hour: other producers' live traffic may move event time to now on every partition.
            app = startApp(work.resolve("state-1"), 0, "ads.idle.timeout.ms=600000", "ads.grace.ms=1800000");
            awaitCampaigns(4);
            sendEvents(events.subList(0, third));
            // Kill it as soon as it has committed some reports: mid-stream, with transactions open.
            StackClient.await("first committed reports", () -> !latest(reports, seen, scenario).isEmpty());
            sendEvents(events.subList(third, 2 * third));
            app.destroyForcibly().waitFor();

            sendEvents(events.subList(2 * third, events.size()));
            app = startApp(work.resolve("state-2"), port, "ads.idle.timeout.ms=600000", "ads.grace.ms=1800000");
            StackClient.await("reports " + scenario.expected + ", seen " + latest(reports, seen, scenario),
                () -> latest(reports, seen, scenario).equals(scenario.expected));
            // Nothing more arrives later: no event was counted twice.
            final long quietUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < quietUntil) {
                latest(reports, seen, scenario);
                kafka.poll(alertReader, Topics.AD_PACING_ALERTS).stream()
                    .filter(a -> a.getCampaignId() == small).forEach(alerts::add);
            }
            assertEquals(scenario.expected, latest(reports, seen, scenario));
            assertEquals(List.of(80, 100), alerts.stream().map(PacingAlert::getThresholdPercent).toList(),
                "each threshold once, across the kill");
            assertEquals(budget, alerts.get(0).getBudget());

            // The HTTP API answers from the restored state.
            final JsonNode pacing = get(port, "/pacing/" + small);
            assertEquals(0, new BigDecimal(pacing.get("spend").asText()).compareTo(scenario.spendOf(small)));
            assertEquals(budget.toPlainString(), pacing.get("budget").asText());
            assertEquals("[80,100]", pacing.get("thresholds_crossed").toString());
            final Map.Entry<String, AdScenario.Totals> some = scenario.expected.entrySet().iterator().next();
            final String[] parts = some.getKey().split("\\|");
            final JsonNode report = get(port, "/reports/" + parts[0] + "/" + parts[1] + "/" + parts[2]);
            assertEquals(some.getValue().impressions, report.get("impressions").asLong());
            assertEquals(0, new BigDecimal(report.get("spend").asText()).compareTo(some.getValue().spend));
        }
    }

    private static JsonNode get(final int port, final String path) throws Exception {
        final HttpClient client = HttpClient.newHttpClient();
        final long deadline = System.nanoTime() + StackClient.DEADLINE.toNanos();
        while (true) {
            try {
                final HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return JSON.readTree(response.body());
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(path + " answered " + response.statusCode() + ": " + response.body());
                }
            } catch (final IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            Thread.sleep(300);
        }
    }

    /** A campaign and a free listener of this run, sent to the CDC topics (and erased at the end). */
    private AdCampaign campaignAndListener(final long campaignId, final long listener) {
        final AdCampaign campaign = AvroFixtures.adCampaign().setCampaignId(campaignId).setTargetCountries(List.of())
            .setStartsAt(Instant.now().minus(Duration.ofDays(10))).setEndsAt(Instant.now().plus(Duration.ofDays(10)))
            .setUpdatedAt(Instant.now().minus(Duration.ofDays(5))).setCdcCommittedAt(null).setCdcLsn(null).build();
        campaignsToErase.add(campaignId);
        usersToErase.add(listener);
        kafka.send(Topics.CDC_AD_CAMPAIGNS, campaignId, campaign);
        kafka.send(Topics.CDC_USERS, listener, AvroFixtures.user().setUserId(listener).build());
        return campaign;
    }

    /** Whether something else is producing impressions now (the load generator of `ops/melody run`). */
    private boolean impressionsFlowing() throws Exception {
        final String topic = Topics.AD_IMPRESSIONS.name();
        final long before = kafka.endOffset(topic);
        Thread.sleep(3_000);
        return kafka.endOffset(topic) > before;
    }

    @Test
    void anHourClosesWithOneFinalReportAndALaterImpressionForItIsLate() throws Exception {
        // Another producer's live traffic moves event time to now on every partition, and this test needs it two
        // hours back.
        Assumptions.assumeFalse(impressionsFlowing(), "ad impressions are being produced live on the shared stack");
        final long campaignId = campaignBase;
        final long listener = userBase;
        final Instant hour = Instant.ofEpochMilli(AdIntakeProcessor.hourStart(
            Instant.now().minus(Duration.ofHours(2)).toEpochMilli()));
        final Instant served = hour.plus(Duration.ofMinutes(20));
        final AdEvents events = new AdEvents(campaignBase);

        kafka.startAtEnd(applicationId, Topics.AD_IMPRESSIONS, Topics.AD_CLICKS, Topics.CDC_USERS,
            Topics.CDC_AD_CAMPAIGNS);
        try (KafkaConsumer<byte[], byte[]> finals = kafka.committedReader(Topics.AD_REPORTS_FINAL);
             KafkaConsumer<byte[], byte[]> late = kafka.committedReader(Topics.LATE_AD_EVENTS)) {
            campaignAndListener(campaignId, listener);
            kafka.producer.flush();
            app = startApp(work.resolve("state"), 0, "ads.idle.timeout.ms=2000", "ads.grace.ms=60000",
                "ads.click.hold.ms=30000", "ads.dedup.horizon.ms=14400000");
            awaitCampaigns(1);

            kafka.send(Topics.AD_IMPRESSIONS, listener, events.impression(campaignId, listener, "CO", served));
            kafka.send(Topics.AD_IMPRESSIONS, listener, events.impression(campaignId, listener, "CO",
                served.plusSeconds(60)));
            // The listener's partition reaches the end of the hour plus the grace period; the others are quiet.
            kafka.send(Topics.AD_IMPRESSIONS, listener, events.impression(campaignId, listener, "CO",
                hour.plus(Duration.ofMinutes(61)).plusSeconds(1)));
            kafka.producer.flush();

            final List<AdReport> finalReports = new ArrayList<>();
            StackClient.await("the final report of the hour", () -> {
                kafka.poll(finals, Topics.AD_REPORTS_FINAL).stream().filter(r -> r.getCampaignId() == campaignId)
                    .forEach(finalReports::add);
                return !finalReports.isEmpty();
            });
            assertEquals(1, finalReports.size());
            assertTrue(finalReports.get(0).getIsFinal());
            assertEquals(hour, finalReports.get(0).getWindowStart());
            assertEquals(2, finalReports.get(0).getImpressions());

            final AdImpression tooLate = events.impression(campaignId, listener, "CO", served.plusSeconds(120));
            kafka.send(Topics.AD_IMPRESSIONS, listener, tooLate);
            kafka.producer.flush();
            final List<ConsumerRecord<byte[], byte[]>> lateRecords = new ArrayList<>();
            StackClient.await("the late impression", () -> {
                for (final ConsumerRecord<byte[], byte[]> record : late.poll(Duration.ofMillis(400))) {
                    if (containsUuid(record.value(), tooLate.getImpressionId())) {
                        lateRecords.add(record);
                    }
                }
                return !lateRecords.isEmpty();
            });
            assertEquals("after-grace", StackClient.header(lateRecords.get(0), AdIntakeProcessor.LATE_REASON_HEADER));
            assertEquals(tooLate, kafka.serdes.value(Topics.AD_IMPRESSIONS).deserializer()
                .deserialize(Topics.AD_IMPRESSIONS.name(), lateRecords.get(0).value()));
            // The final report is not emitted again.
            final long quietUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < quietUntil) {
                kafka.poll(finals, Topics.AD_REPORTS_FINAL).stream().filter(r -> r.getCampaignId() == campaignId)
                    .forEach(finalReports::add);
            }
            assertEquals(1, finalReports.size());
        }
    }

    @Test
    void badRecordsBecomeDeadLettersWithTheirBytesAndReason() throws Exception {
        final long campaignId = campaignBase;
        final long listener = userBase;
        kafka.startAtEnd(applicationId, Topics.AD_IMPRESSIONS, Topics.AD_CLICKS, Topics.CDC_USERS,
            Topics.CDC_AD_CAMPAIGNS);
        try (KafkaConsumer<byte[], byte[]> letters = kafka.committedReader(Topics.DLQ_AD_REPORTS)) {
            final AdCampaign campaign = campaignAndListener(campaignId, listener);
            // A bad campaign change: a dead letter, and the good version stays.
            kafka.send(Topics.CDC_AD_CAMPAIGNS, campaignId, AdCampaign.newBuilder(campaign)
                .setCpm(new BigDecimal("-5.0000")).build());
            kafka.producer.flush();
            app = startApp(work.resolve("state"), 0);
            awaitCampaigns(1);

            final byte[] json = ("{\"campaign_id\": " + campaignId + "}").getBytes(StandardCharsets.UTF_8);
            kafka.sendRaw(Topics.AD_IMPRESSIONS, new byte[8], json);
            final byte[] unknownId = {0, 0x7f, (byte) campaignId, (byte) (campaignId >> 8), (byte) (campaignId >> 16),
                1, 3};
            kafka.sendRaw(Topics.AD_CLICKS, new byte[8], unknownId);
            final AdImpression unknownCampaign = new AdEvents(campaignBase).impression(campaignId + 1, listener, "CO",
                Instant.now().minusSeconds(30));
            kafka.send(Topics.AD_IMPRESSIONS, listener, unknownCampaign);
            kafka.producer.flush();

            final Set<String> reasons = new HashSet<>();
            final List<ConsumerRecord<byte[], byte[]>> mine = new ArrayList<>();
            StackClient.await("four dead letters", () -> {
                for (final ConsumerRecord<byte[], byte[]> record : letters.poll(Duration.ofMillis(400))) {
                    final byte[] value = record.value();
                    final boolean ourCampaign = Topics.CDC_AD_CAMPAIGNS.name().equals(StackClient.header(record,
                        DeadLetterHandlers.TOPIC_HEADER)) && kafka.serdes.value(Topics.CDC_AD_CAMPAIGNS).deserializer()
                        .deserialize(Topics.CDC_AD_CAMPAIGNS.name(), value).getCampaignId() == campaignId;
                    if (java.util.Arrays.equals(value, json) || java.util.Arrays.equals(value, unknownId)
                            || containsUuid(value, unknownCampaign.getImpressionId()) || ourCampaign) {
                        mine.add(record);
                        reasons.add(StackClient.header(record, DeadLetterHandlers.REASON_HEADER));
                    }
                }
                return mine.size() >= 4;
            });
            assertEquals(Set.of("not-wire-format", "unknown-schema-id", "unknown-campaign",
                "invalid-campaign:negative-cpm"), reasons);
            for (final ConsumerRecord<byte[], byte[]> record : mine) {
                assertTrue(Long.parseLong(StackClient.header(record, DeadLetterHandlers.OFFSET_HEADER)) >= 0);
                if ("not-wire-format".equals(StackClient.header(record, DeadLetterHandlers.REASON_HEADER))) {
                    assertArrayEquals(json, record.value(), "the original bytes, unchanged");
                    assertEquals(Topics.AD_IMPRESSIONS.name(), StackClient.header(record, DeadLetterHandlers.TOPIC_HEADER));
                }
            }
        }
    }

    private static boolean containsUuid(final byte[] avro, final UUID id) {
        return avro != null && new String(avro, StandardCharsets.UTF_8).contains(id.toString());
    }
}
