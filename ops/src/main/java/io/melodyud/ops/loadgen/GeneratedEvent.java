package io.melodyud.ops.loadgen;

import io.melodyud.avro.event.AdClick;
import io.melodyud.avro.event.AdImpression;
import io.melodyud.avro.event.PlayEvent;
import org.apache.avro.specific.SpecificRecord;

/**
 * One record the generator sends, with what a test needs to know about it without decoding it.
 *
 * @param index position in the stream (the send order)
 * @param kind which topic it goes to
 * @param key the record key (the user id, as every event topic is keyed)
 * @param value the Avro value
 * @param originalIndex index of the first send of this event: {@code index} itself, or an earlier one for a
 *     producer retry (a duplicate: same id, same times)
 * @param eventTimeMs the event's own time (started_at, served_at, clicked_at)
 * @param lateness how far behind the generator's clock the event is when first sent
 * @param invalid a play with an impossible ms_played, which consumers dead-letter
 * @param clickBeforeImpression a click sent before the impression it refers to
 */
public record GeneratedEvent(long index, Kind kind, long key, SpecificRecord value, long originalIndex,
                             long eventTimeMs, Lateness lateness, boolean invalid, boolean clickBeforeImpression) {

    /** The three event topics. */
    public enum Kind { PLAY, IMPRESSION, CLICK }

    /**
     * Lateness against the generator's clock at the first send: {@code LATE} one minute or more, within the
     * consumers' grace; {@code BEYOND_GRACE} more than the grace.
     */
    public enum Lateness { ON_TIME, LATE, BEYOND_GRACE }

    public boolean duplicate() {
        return originalIndex != index;
    }

    /** A play of at least 30 s that is not invalid: one that charts and royalties count (once). */
    public boolean countablePlay() {
        return value instanceof PlayEvent play && !invalid && play.getMsPlayed() >= 30_000;
    }

    /** A play under 30 s (a skip), not invalid. */
    public boolean shortPlay() {
        return value instanceof PlayEvent play && !invalid && play.getMsPlayed() < 30_000;
    }

    public PlayEvent play() {
        return (PlayEvent) value;
    }

    public AdImpression impression() {
        return (AdImpression) value;
    }

    public AdClick click() {
        return (AdClick) value;
    }

    /** The same event sent again at a later index: a producer retry. */
    GeneratedEvent resentAt(final long newIndex) {
        return new GeneratedEvent(newIndex, kind, key, value, originalIndex, eventTimeMs, lateness, invalid,
            clickBeforeImpression);
    }
}
