package io.melodyud.ops.loadgen;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a run sent, machine-readable: per topic how many records, how many of them were retries (duplicates), late,
 * beyond grace, invalid; and the stream's parameters, so that a test can rebuild the stream with
 * {@link EventStream} and compute any expected total itself. Indexes {@code [0, nextIndex)} were sent, in order.
 *
 * @param stream parameters of the stream (seed, event time of index 0...)
 * @param reference the seed and sizes of the reference data
 * @param topics counts by topic name
 * @param nextIndex the first index not sent: the run sent exactly indexes 0 to nextIndex - 1
 * @param delivered records the broker acknowledged
 * @param failed records the producer could not deliver (a non-zero value fails the run)
 * @param elapsedMs wall-clock time from the first send to the last acknowledgement
 */
public record LoadReport(StreamSpec stream, ReferenceData.Sizes reference, Map<String, TopicCounts> topics,
                         long nextIndex, long delivered, long failed, long elapsedMs) {

    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Counts of one topic. Late, beyond grace, invalid, short and countable count first sends only (retries of
     * such events are in {@code duplicates}).
     */
    public static final class TopicCounts {
        long sent;
        long duplicates;
        long late;
        long beyondGrace;
        long invalid;
        long shortPlays;
        long countablePlays;
        long clicksBeforeImpression;

        void add(final GeneratedEvent event) {
            sent++;
            if (event.duplicate()) {
                duplicates++;
                return;
            }
            switch (event.lateness()) {
                case LATE -> late++;
                case BEYOND_GRACE -> beyondGrace++;
                default -> { }
            }
            if (event.invalid()) {
                invalid++;
            }
            if (event.shortPlay()) {
                shortPlays++;
            }
            if (event.countablePlay()) {
                countablePlays++;
            }
            if (event.clickBeforeImpression()) {
                clicksBeforeImpression++;
            }
        }

        void addAll(final TopicCounts other) {
            sent += other.sent;
            duplicates += other.duplicates;
            late += other.late;
            beyondGrace += other.beyondGrace;
            invalid += other.invalid;
            shortPlays += other.shortPlays;
            countablePlays += other.countablePlays;
            clicksBeforeImpression += other.clicksBeforeImpression;
        }

        /**
     * The stream a report describes, rebuilt from its JSON alone: {@code streamOf(report).event(i)} for {@code i} in
     * {@code [0, nextIndex)} is exactly what the run sent.
     */
    public static EventStream streamOf(final JsonNode report) {
        final JsonNode s = report.get("stream");
        final double[] rhythm = new double[s.get("rhythm").size()];
        for (int h = 0; h < rhythm.length; h++) {
            rhythm[h] = s.get("rhythm").get(h).asDouble();
        }
        final StreamSpec spec = new StreamSpec(s.get("seed").asLong(), s.get("startMs").asLong(),
            s.get("density").asDouble(), rhythm, s.get("trackZipfExponent").asDouble(),
            s.get("userActivityExponent").asDouble(), s.get("shortPlayFraction").asDouble(),
            s.get("invalidFraction").asDouble(), s.get("impressionFraction").asDouble(),
            s.get("clickRate").asDouble(), s.get("clickMaxDelayMs").asLong(),
            s.get("clickBeforeImpressionFraction").asDouble(), s.get("duplicateFraction").asDouble(),
            s.get("duplicateMaxDistance").asInt(), s.get("lateFraction").asDouble(), s.get("lateMaxMs").asLong(),
            s.get("beyondGraceFraction").asDouble(), s.get("graceMs").asLong());
        final JsonNode r = report.get("reference");
        final ReferenceData reference = new ReferenceData(new ReferenceData.Sizes(r.get("seed").asLong(),
            r.get("users").asInt(), r.get("rightsHolders").asInt(), r.get("tracks").asInt(),
            r.get("campaigns").asInt()), spec.trackZipfExponent(), spec.userActivityExponent());
        return new EventStream(spec, reference);
    }

    public long sent() {
            return sent;
        }

        /** Events sent once or more: {@code sent - duplicates}. */
        public long distinct() {
            return sent - duplicates;
        }

        public long duplicates() {
            return duplicates;
        }

        public long late() {
            return late;
        }

        public long beyondGrace() {
            return beyondGrace;
        }

        public long invalid() {
            return invalid;
        }

        public long shortPlays() {
            return shortPlays;
        }

        public long countablePlays() {
            return countablePlays;
        }

        public long clicksBeforeImpression() {
            return clicksBeforeImpression;
        }

        Map<String, Object> toMap(final GeneratedEvent.Kind kind) {
            final Map<String, Object> map = new LinkedHashMap<>();
            map.put("sent", sent);
            map.put("distinct", distinct());
            map.put("duplicates", duplicates);
            map.put("late", late);
            map.put("beyondGrace", beyondGrace);
            if (kind == GeneratedEvent.Kind.PLAY) {
                map.put("invalid", invalid);
                map.put("short", shortPlays);
                map.put("countable", countablePlays);
            }
            if (kind == GeneratedEvent.Kind.CLICK) {
                map.put("beforeImpression", clicksBeforeImpression);
            }
            return map;
        }
    }

    /**
     * The stream a report describes, rebuilt from its JSON alone: {@code streamOf(report).event(i)} for {@code i} in
     * {@code [0, nextIndex)} is exactly what the run sent.
     */
    public static EventStream streamOf(final JsonNode report) {
        final JsonNode s = report.get("stream");
        final double[] rhythm = new double[s.get("rhythm").size()];
        for (int h = 0; h < rhythm.length; h++) {
            rhythm[h] = s.get("rhythm").get(h).asDouble();
        }
        final StreamSpec spec = new StreamSpec(s.get("seed").asLong(), s.get("startMs").asLong(),
            s.get("density").asDouble(), rhythm, s.get("trackZipfExponent").asDouble(),
            s.get("userActivityExponent").asDouble(), s.get("shortPlayFraction").asDouble(),
            s.get("invalidFraction").asDouble(), s.get("impressionFraction").asDouble(),
            s.get("clickRate").asDouble(), s.get("clickMaxDelayMs").asLong(),
            s.get("clickBeforeImpressionFraction").asDouble(), s.get("duplicateFraction").asDouble(),
            s.get("duplicateMaxDistance").asInt(), s.get("lateFraction").asDouble(), s.get("lateMaxMs").asLong(),
            s.get("beyondGraceFraction").asDouble(), s.get("graceMs").asLong());
        final JsonNode r = report.get("reference");
        final ReferenceData reference = new ReferenceData(new ReferenceData.Sizes(r.get("seed").asLong(),
            r.get("users").asInt(), r.get("rightsHolders").asInt(), r.get("tracks").asInt(),
            r.get("campaigns").asInt()), spec.trackZipfExponent(), spec.userActivityExponent());
        return new EventStream(spec, reference);
    }

    public long sent() {
        return topics.values().stream().mapToLong(TopicCounts::sent).sum();
    }

    public double eventsPerSecond() {
        return elapsedMs == 0 ? 0 : sent() * 1000.0 / elapsedMs;
    }

    /** One line of JSON. */
    public String toJson(final Map<String, String> topicNames) {
        final Map<String, Object> root = new LinkedHashMap<>();
        root.put("nextIndex", nextIndex);
        root.put("sent", sent());
        root.put("delivered", delivered);
        root.put("failed", failed);
        root.put("elapsedMs", elapsedMs);
        root.put("eventsPerSecond", Math.round(eventsPerSecond()));
        final Map<String, Object> byTopic = new LinkedHashMap<>();
        for (final GeneratedEvent.Kind kind : GeneratedEvent.Kind.values()) {
            final String name = topicNames.get(kind.name());
            byTopic.put(name, topics.get(name).toMap(kind));
        }
        root.put("topics", byTopic);
        final Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("seed", stream.seed());
        spec.put("eventTimeStart", java.time.Instant.ofEpochMilli(stream.startMs()).toString());
        spec.put("startMs", stream.startMs());
        spec.put("density", stream.density());
        spec.put("rhythm", stream.rhythm());
        spec.put("trackZipfExponent", stream.trackZipfExponent());
        spec.put("userActivityExponent", stream.userActivityExponent());
        spec.put("shortPlayFraction", stream.shortPlayFraction());
        spec.put("invalidFraction", stream.invalidFraction());
        spec.put("impressionFraction", stream.impressionFraction());
        spec.put("clickRate", stream.clickRate());
        spec.put("clickMaxDelayMs", stream.clickMaxDelayMs());
        spec.put("clickBeforeImpressionFraction", stream.clickBeforeImpressionFraction());
        spec.put("duplicateFraction", stream.duplicateFraction());
        spec.put("duplicateMaxDistance", stream.duplicateMaxDistance());
        spec.put("lateFraction", stream.lateFraction());
        spec.put("lateMaxMs", stream.lateMaxMs());
        spec.put("beyondGraceFraction", stream.beyondGraceFraction());
        spec.put("graceMs", stream.graceMs());
        root.put("stream", spec);
        final Map<String, Object> sizes = new LinkedHashMap<>();
        sizes.put("seed", reference.seed());
        sizes.put("users", reference.users());
        sizes.put("rightsHolders", reference.rightsHolders());
        sizes.put("tracks", reference.tracks());
        sizes.put("campaigns", reference.campaigns());
        root.put("reference", sizes);
        try {
            return JSON.writeValueAsString(root);
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
