package io.melodyud.topologies.ads;

import io.melodyud.avro.event.AdClick;
import io.melodyud.avro.event.AdImpression;
import java.time.Clock;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time of an impression is when it was served ({@code served_at}), of a click when it was made
 * ({@code clicked_at}), not when they were sent. A time that cannot be right (before 2000, or further ahead of the
 * wall clock than allowed) keeps the partition's current time (or 0 before the first good record), so that it does
 * not reorder the task's records; the intake sends such records to the dead-letter topic.
 */
public final class AdEventTimestampExtractor implements TimestampExtractor {

    private final AdRules rules;
    private final Clock clock;

    public AdEventTimestampExtractor(final long maxFutureMs, final Clock clock) {
        this.rules = new AdRules(maxFutureMs);
        this.clock = clock;
    }

    @Override
    public long extract(final ConsumerRecord<Object, Object> record, final long partitionTime) {
        final long eventTime;
        if (record.value() instanceof AdImpression impression) {
            eventTime = impression.getServedAt().toEpochMilli();
        } else if (record.value() instanceof AdClick click) {
            eventTime = click.getClickedAt().toEpochMilli();
        } else {
            return Math.max(partitionTime, 0);
        }
        return rules.timeIsPlausible(eventTime, clock.millis()) ? eventTime : Math.max(partitionTime, 0);
    }
}
