package io.melodyud.topologies.plays;

import io.melodyud.avro.event.PlayEvent;
import io.melodyud.topologies.common.BadInputException;
import io.melodyud.topologies.common.ChartWindowSize;
import io.melodyud.topologies.common.CommitHook;
import io.melodyud.topologies.common.DeadLetterHandlers;
import io.melodyud.topologies.common.ErrorCounters;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;

/**
 * First stage, on the input partitions (plays keyed by user, so a retried event lands where its first copy did):
 * validates each play, drops duplicates by event id, keeps valid plays only, decides lateness per window size and
 * adds the play to per-track pending counts. When the task commits, the pending counts of each track are sent, as
 * one {@link InternalCodecs.TrackDelta}, to the counting stage.
 *
 * <p>This is the sharded counter of the seeds: a track's count is split by input task and merged by summing in the
 * counting stage, so a track with 90% of the traffic costs one record per task per commit downstream, not one
 * per play. Pending counts live in a plain map and leave through the task's {@link CommitHook}, in the transaction
 * that commits the plays they count: a crash aborts both, and the plays are counted again from the input.
 *
 * <p>Outputs: {@code TrackDelta} values (to the counting stage) and {@code PlayEvent} values (late plays, to the
 * late topic), both keyed by a long.
 */
final class PlayIntakeProcessor implements Processor<Long, PlayEvent, Long, Object> {

    static final String DEDUP_STORE = "play-dedup";
    static final String COMMIT_HOOK = "play-intake-commit";
    static final String LATE_WINDOWS_HEADER = "melody.late.windows";
    static final String LATE_REASON_HEADER = "melody.late.reason";

    /** Plays before this instant are client bugs (a zeroed clock), not history. */
    static final long MIN_TIMESTAMP = 946_684_800_000L; // 2000-01-01T00:00:00Z
    /** Longer than any track: a client counting a paused player as playing. */
    static final long MAX_MS_PLAYED = Duration.ofHours(6).toMillis();

    private static final byte[] SEEN = {1};

    private final PlayAnalyticsConfig config;
    private final ErrorCounters counters;
    private ProcessorContext<Long, Object> context;
    private WindowStore<Bytes, byte[]> dedup;
    /** Pending counts by track; reused between commits to spare the allocations. */
    private final Map<Long, PendingCounts> pending = new HashMap<>();
    private final ChartWindowSize[] windows;
    private final LongAdder duplicates;
    private final LongAdder shortPlays;

    PlayIntakeProcessor(final PlayAnalyticsConfig config, final ErrorCounters counters) {
        this.config = config;
        this.counters = counters;
        this.windows = config.windows().toArray(new ChartWindowSize[0]);
        this.duplicates = counters.counter("skipped", "duplicate");
        this.shortPlays = counters.counter("skipped", "short-play");
    }

    @Override
    public void init(final ProcessorContext<Long, Object> context) {
        this.context = context;
        this.dedup = context.getStateStore(DEDUP_STORE);
        final CommitHook hook = context.getStateStore(COMMIT_HOOK);
        hook.register(context, this::flush);
    }

    @Override
    public void process(final Record<Long, PlayEvent> record) {
        final PlayEvent play = validate(record);
        final long startedAt = play.getStartedAt().toEpochMilli();
        final long streamTime = context.currentStreamTimeMs();
        if (startedAt < streamTime - config.dedupHorizonMs()) {
            // It could be a duplicate we no longer remember: counting it could count it twice.
            late(record, "beyond-dedup-horizon", "all");
            return;
        }
        if (play.getMsPlayed() < config.validPlayMinMs()) {
            shortPlays.increment();
            return;
        }
        final Bytes eventId = uuidBytes(play.getEventId());
        // A retry carries the same started_at, so a point lookup at that instant finds it.
        if (dedup.fetch(eventId, startedAt) != null) {
            duplicates.increment();
            return;
        }
        dedup.put(eventId, SEEN, startedAt);

        final PendingCounts counts = pending.computeIfAbsent(play.getTrackId(), t -> new PendingCounts());
        counts.total++;
        final short country = InternalCodecs.countryCode(play.getCountry());
        List<String> lateFor = null;
        for (final ChartWindowSize size : windows) {
            final long start = size.windowStart(startedAt);
            if (start + size.sizeMs() + config.grace(size) <= streamTime) {
                if (lateFor == null) {
                    lateFor = new ArrayList<>(3);
                }
                lateFor.add(size.label());
                counters.increment("late", size.label());
            } else {
                counts.add(size, start, country);
            }
        }
        if (lateFor != null) {
            late(record, "after-grace", String.join(",", lateFor));
        }
    }

    private PlayEvent validate(final Record<Long, PlayEvent> record) {
        if (record.key() == null) {
            throw new BadInputException("null-key", "Play without a key: producers must key plays by user_id");
        }
        final PlayEvent play = record.value();
        if (play == null) {
            throw new BadInputException("null-value", "Tombstone on the plays topic for user " + record.key());
        }
        if (play.getMsPlayed() < 0) {
            throw new BadInputException("invalid-play:negative-duration",
                "Play " + play.getEventId() + " has ms_played " + play.getMsPlayed());
        }
        if (play.getMsPlayed() > MAX_MS_PLAYED) {
            throw new BadInputException("invalid-play:duration-too-long",
                "Play " + play.getEventId() + " has ms_played " + play.getMsPlayed() + ", more than 6 hours");
        }
        final long startedAt = play.getStartedAt().toEpochMilli();
        if (startedAt < MIN_TIMESTAMP) {
            throw new BadInputException("invalid-play:timestamp-before-2000",
                "Play " + play.getEventId() + " started at " + play.getStartedAt());
        }
        if (startedAt > context.currentSystemTimeMs() + config.maxFutureMs()) {
            throw new BadInputException("invalid-play:timestamp-in-future",
                "Play " + play.getEventId() + " started at " + play.getStartedAt() + ", in the future");
        }
        if (play.getUserId() <= 0 || play.getTrackId() <= 0) {
            throw new BadInputException("invalid-play:id",
                "Play " + play.getEventId() + " has user " + play.getUserId() + " and track " + play.getTrackId());
        }
        final String country = play.getCountry();
        if (country.length() != 2 || !Character.isUpperCase(country.charAt(0))
                || !Character.isUpperCase(country.charAt(1)) || country.charAt(0) > 'Z' || country.charAt(1) > 'Z') {
            throw new BadInputException("invalid-play:country",
                "Play " + play.getEventId() + " has country '" + country + "', not an ISO 3166-1 alpha-2 code");
        }
        return play;
    }

    private void late(final Record<Long, PlayEvent> record, final String reason, final String windows) {
        if ("beyond-dedup-horizon".equals(reason)) {
            counters.increment("late", reason);
        }
        final Headers headers = new RecordHeaders(record.headers().toArray());
        headers.add(LATE_REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        headers.add(LATE_WINDOWS_HEADER, windows.getBytes(StandardCharsets.UTF_8));
        context.recordMetadata().ifPresent(meta -> {
            headers.add(DeadLetterHandlers.TOPIC_HEADER, meta.topic().getBytes(StandardCharsets.UTF_8));
            headers.add(DeadLetterHandlers.PARTITION_HEADER,
                Integer.toString(meta.partition()).getBytes(StandardCharsets.UTF_8));
            headers.add(DeadLetterHandlers.OFFSET_HEADER,
                Long.toString(meta.offset()).getBytes(StandardCharsets.UTF_8));
        });
        context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers));
    }

    /** Sends one TrackDelta per track with pending counts, then forgets them. */
    private void flush() {
        if (pending.isEmpty()) {
            return;
        }
        final long timestamp = context.currentStreamTimeMs();
        for (final Map.Entry<Long, PendingCounts> entry : pending.entrySet()) {
            final PendingCounts counts = entry.getValue();
            final List<InternalCodecs.WindowDelta> windows = new ArrayList<>(counts.windows.size());
            counts.windows.forEach((packed, count) -> windows.add(new InternalCodecs.WindowDelta(
                ChartWindowSize.of((int) ((packed >>> COUNTRY_BITS) & 0x3)), packed >>> (COUNTRY_BITS + 2),
                (short) (packed & 0xffff), count[0])));
            context.forward(new Record<>(entry.getKey(), new InternalCodecs.TrackDelta(counts.total, windows),
                timestamp));
        }
        pending.clear();
    }

    private static final int COUNTRY_BITS = 16;

    /** What one track gained since the last commit: its total, and per (window size, start, country). */
    private static final class PendingCounts {
        private long total;
        /** Keyed by window start, size ordinal and country packed in a long (starts are below 2^45 ms). */
        private final Map<Long, long[]> windows = new HashMap<>(8);

        void add(final ChartWindowSize size, final long windowStart, final short country) {
            final long packed = (windowStart << (COUNTRY_BITS + 2)) | ((long) size.ordinal() << COUNTRY_BITS)
                | (country & 0xffffL);
            final long[] count = windows.get(packed);
            if (count == null) {
                windows.put(packed, new long[] {1});
            } else {
                count[0]++;
            }
        }
    }

    static Bytes uuidBytes(final UUID id) {
        return Bytes.wrap(ByteBuffer.allocate(16).putLong(id.getMostSignificantBits())
            .putLong(id.getLeastSignificantBits()).array());
    }
}
