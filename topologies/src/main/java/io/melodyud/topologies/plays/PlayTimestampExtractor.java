package io.melodyud.topologies.plays;

import io.melodyud.avro.event.PlayEvent;
import java.time.Clock;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time of a play is when it started ({@code started_at}), not when it was sent. A timestamp that cannot be
 * right (before 2000, or further ahead of the wall clock than allowed) must not move stream time, or one broken
 * client would make every later play look late: such records keep the partition's current time (or 0 before the
 * first good one), and the intake processor sends them to the dead-letter topic.
 */
public final class PlayTimestampExtractor implements TimestampExtractor {

    private final long maxFutureMs;
    private final Clock clock;

    public PlayTimestampExtractor(final long maxFutureMs, final Clock clock) {
        this.maxFutureMs = maxFutureMs;
        this.clock = clock;
    }

    @Override
    public long extract(final ConsumerRecord<Object, Object> record, final long partitionTime) {
        if (record.value() instanceof PlayEvent play) {
            final long startedAt = play.getStartedAt().toEpochMilli();
            if (startedAt >= PlayRules.MIN_TIMESTAMP && startedAt <= clock.millis() + maxFutureMs) {
                return startedAt;
            }
        }
        // Zero never moves stream time (the maximum seen), yet keeps the record: the intake dead-letters it.
        return Math.max(partitionTime, 0);
    }
}
