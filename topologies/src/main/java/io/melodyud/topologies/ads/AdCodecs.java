package io.melodyud.topologies.ads;

import io.melodyud.avro.cdc.AdCampaign;
import io.melodyud.avro.cdc.CampaignStatus;
import io.melodyud.avro.common.Device;
import io.melodyud.avro.event.AdClick;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Compact binary encodings of the records between the application's stages and in its stores. They never leave
 * the application (its repartition topics and changelogs), so they trade the registry's evolvability for speed; a
 * change of layout needs a new application id or a reset. Money is carried as exact integers: CPM in units of
 * 1e-4 (its scale), budget in units of 1e-2, spend in units of 1e-7 (one billed impression costs the CPM's unscaled
 * value in those units: cpm / 1000).
 */
final class AdCodecs {

    private AdCodecs() {
    }

    // ---- campaigns --------------------------------------------------------------------------------------------

    /**
     * What pricing and pacing need of one version of a campaign; or, with {@code deleted}, the deletion of the
     * campaign's row (only {@code campaignId} is set then).
     */
    record CampaignVersion(long campaignId, long cpmUnits, long budgetCents, String currency, CampaignStatus status,
                           long startsAt, long endsAt, long updatedAt, short[] targetCountries, boolean deleted) {

        static CampaignVersion deletion(final long campaignId) {
            return new CampaignVersion(campaignId, 0, 0, "XXX", CampaignStatus.UNKNOWN, 0, 0, 0, new short[0], true);
        }

        static CampaignVersion of(final AdCampaign campaign) {
            final List<String> targets = campaign.getTargetCountries();
            final short[] countries = new short[targets.size()];
            for (int i = 0; i < countries.length; i++) {
                countries[i] = AdRules.countryCode(targets.get(i));
            }
            return new CampaignVersion(campaign.getCampaignId(), campaign.getCpm().unscaledValue().longValueExact(),
                campaign.getBudget().unscaledValue().longValueExact(), campaign.getCurrency(), campaign.getStatus(),
                campaign.getStartsAt().toEpochMilli(), campaign.getEndsAt().toEpochMilli(),
                campaign.getUpdatedAt().toEpochMilli(), countries, false);
        }

        /** An empty target list means every country. */
        boolean targets(final short country) {
            if (targetCountries.length == 0) {
                return true;
            }
            for (final short target : targetCountries) {
                if (target == country) {
                    return true;
                }
            }
            return false;
        }

        boolean runsAt(final long timeMs) {
            return timeMs >= startsAt && timeMs < endsAt;
        }
    }

    static final Serde<CampaignVersion> CAMPAIGN_VERSION = Serdes.serdeFrom(
        (Serializer<CampaignVersion>) (topic, v) -> {
            if (v == null) {
                return null;
            }
            final ByteBuffer out = ByteBuffer.allocate(1 + 8 * 6 + 3 + 1 + 2 + 2 * v.targetCountries().length);
            out.put((byte) (v.deleted() ? 1 : 0));
            out.putLong(v.campaignId()).putLong(v.cpmUnits()).putLong(v.budgetCents());
            out.put(v.currency().getBytes(StandardCharsets.US_ASCII)).put((byte) v.status().ordinal());
            out.putLong(v.startsAt()).putLong(v.endsAt()).putLong(v.updatedAt());
            out.putShort((short) v.targetCountries().length);
            for (final short country : v.targetCountries()) {
                out.putShort(country);
            }
            return out.array();
        },
        (Deserializer<CampaignVersion>) (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            final ByteBuffer in = ByteBuffer.wrap(bytes);
            final boolean deleted = in.get() == 1;
            final long id = in.getLong();
            final long cpm = in.getLong();
            final long budget = in.getLong();
            final byte[] currency = new byte[3];
            in.get(currency);
            final CampaignStatus status = CampaignStatus.values()[in.get()];
            final long starts = in.getLong();
            final long ends = in.getLong();
            final long updated = in.getLong();
            final short[] countries = new short[in.getShort()];
            for (int i = 0; i < countries.length; i++) {
                countries[i] = in.getShort();
            }
            return new CampaignVersion(id, cpm, budget, new String(currency, StandardCharsets.US_ASCII), status, starts,
                ends, updated, countries, deleted);
        });

    // ---- intake -> aggregation --------------------------------------------------------------------------------

    /** What the intake sends downstream: deltas of a campaign's reports, and the watermarks of its partitions. */
    sealed interface IntakeOutput permits CampaignDelta, Watermark {
    }

    /**
     * What one intake task adds to one campaign's reports since its last commit; {@code budgetCents} is the latest
     * budget that task knows, for pacing.
     */
    record CampaignDelta(String currency, long budgetCents, List<HourDelta> hours) implements IntakeOutput {

        /** served_at of the latest billed impression of the delta, or -1 when it holds none. */
        long lastBilledAt() {
            long last = -1;
            for (final HourDelta hour : hours) {
                last = Math.max(last, hour.lastBilledAt());
            }
            return last;
        }

        long spendUnits() {
            long spend = 0;
            for (final HourDelta hour : hours) {
                spend = Math.addExact(spend, hour.spendUnits());
            }
            return spend;
        }
    }

    /** Additions to one (country, hour) report; {@code sketch} is an HLL sketch of the users served, or null. */
    record HourDelta(short country, long hourStart, long impressions, long premiumImpressions, long clicks,
                     long unattributedClicks, long spendUnits, long lastBilledAt, byte[] sketch) {
    }

    /**
     * Intake partition {@code source} has processed every event up to {@code timeMs} of event time: it will count
     * nothing more in an hour that ended more than the grace period before it.
     */
    record Watermark(int source, long timeMs) implements IntakeOutput {
    }

    private static final byte DELTA = 0;
    private static final byte WATERMARK = 1;

    static final Serde<IntakeOutput> INTAKE_OUTPUT = Serdes.serdeFrom(
        (Serializer<IntakeOutput>) (topic, value) -> {
            if (value instanceof Watermark w) {
                return ByteBuffer.allocate(13).put(WATERMARK).putInt(w.source()).putLong(w.timeMs()).array();
            }
            final CampaignDelta delta = (CampaignDelta) value;
            int size = 1 + 3 + 8 + 4;
            for (final HourDelta hour : delta.hours()) {
                size += 2 + 8 * 7 + 4 + (hour.sketch() == null ? 0 : hour.sketch().length);
            }
            final ByteBuffer out = ByteBuffer.allocate(size).put(DELTA)
                .put(delta.currency().getBytes(StandardCharsets.US_ASCII)).putLong(delta.budgetCents())
                .putInt(delta.hours().size());
            for (final HourDelta hour : delta.hours()) {
                out.putShort(hour.country()).putLong(hour.hourStart()).putLong(hour.impressions())
                    .putLong(hour.premiumImpressions()).putLong(hour.clicks()).putLong(hour.unattributedClicks())
                    .putLong(hour.spendUnits()).putLong(hour.lastBilledAt());
                putBytes(out, hour.sketch());
            }
            return out.array();
        },
        (Deserializer<IntakeOutput>) (topic, bytes) -> {
            final ByteBuffer in = ByteBuffer.wrap(bytes);
            if (in.get() == WATERMARK) {
                return new Watermark(in.getInt(), in.getLong());
            }
            final byte[] currency = new byte[3];
            in.get(currency);
            final long budget = in.getLong();
            final int count = in.getInt();
            final List<HourDelta> hours = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                hours.add(new HourDelta(in.getShort(), in.getLong(), in.getLong(), in.getLong(), in.getLong(),
                    in.getLong(), in.getLong(), in.getLong(), getBytes(in)));
            }
            return new CampaignDelta(new String(currency, StandardCharsets.US_ASCII), budget, hours);
        });

    // ---- intake state -----------------------------------------------------------------------------------------

    /** What a click needs of its impression: found by impression id in the index, at the impression's served_at. */
    record ImpressionRef(long campaignId, long userId, short country) {
    }

    /** An impression's reference as kept by the impressions' deduplicator: campaign, user, country. */
    static final int IMPRESSION_REF_BYTES = 8 + 8 + 2;

    static byte[] encode(final ImpressionRef ref) {
        return ByteBuffer.allocate(IMPRESSION_REF_BYTES).putLong(ref.campaignId()).putLong(ref.userId())
            .putShort(ref.country()).array();
    }

    static ImpressionRef decodeImpressionRef(final byte[] bytes) {
        final ByteBuffer in = ByteBuffer.wrap(bytes);
        return new ImpressionRef(in.getLong(), in.getLong(), in.getShort());
    }

    /** A click waiting for its impression, with where it was read (for its dead letter, should it need one). */
    record PendingClick(AdClick click, int sourcePartition, long sourceOffset) {

        long clickedAt() {
            return click.getClickedAt().toEpochMilli();
        }
    }

    static byte[] encode(final PendingClick pending) {
        final AdClick click = pending.click();
        final ByteBuffer out = ByteBuffer.allocate(16 * 2 + 8 * 3 + 2 + 1 + 4 + 8);
        putUuid(out, click.getClickId());
        putUuid(out, click.getImpressionId());
        out.putLong(click.getUserId()).putLong(click.getCampaignId()).putLong(click.getClickedAt().toEpochMilli())
            .putShort(AdRules.countryCode(click.getCountry())).put((byte) click.getDevice().ordinal())
            .putInt(pending.sourcePartition()).putLong(pending.sourceOffset());
        return out.array();
    }

    static PendingClick decodePendingClick(final byte[] bytes) {
        final ByteBuffer in = ByteBuffer.wrap(bytes);
        final AdClick click = AdClick.newBuilder()
            .setClickId(getUuid(in))
            .setImpressionId(getUuid(in))
            .setUserId(in.getLong())
            .setCampaignId(in.getLong())
            .setClickedAt(Instant.ofEpochMilli(in.getLong()))
            .setCountry(AdRules.country(in.getShort()))
            .setDevice(Device.values()[in.get()])
            .build();
        return new PendingClick(click, in.getInt(), in.getLong());
    }

    /** Key of a pending click: its impression id, then its own id, so that an impression finds its clicks. */
    static byte[] pendingKey(final UUID impressionId, final UUID clickId) {
        final ByteBuffer out = ByteBuffer.allocate(32);
        putUuid(out, impressionId);
        putUuid(out, clickId);
        return out.array();
    }

    // ---- aggregation state ------------------------------------------------------------------------------------

    /**
     * A report as stored: the counts so far, the union of the sketches (the union's updatable HLL_8 image; a compact
     * HLL_4 image when stored by a version before the seventh round, still read), the last version emitted.
     */
    static final class ReportState {
        long impressions;
        long premiumImpressions;
        long clicks;
        long unattributedClicks;
        long spendUnits;
        String currency;
        long version;
        boolean isFinal;
        byte[] sketch;

        ReportState(final String currency) {
            this.currency = currency;
        }
    }

    static final Serde<ReportState> REPORT_STATE = Serdes.serdeFrom(
        (Serializer<ReportState>) (topic, s) -> {
            final ByteBuffer out = ByteBuffer.allocate(8 * 6 + 3 + 1 + 4 + (s.sketch == null ? 0 : s.sketch.length));
            out.putLong(s.impressions).putLong(s.premiumImpressions).putLong(s.clicks).putLong(s.unattributedClicks)
                .putLong(s.spendUnits).put(s.currency.getBytes(StandardCharsets.US_ASCII)).putLong(s.version)
                .put((byte) (s.isFinal ? 1 : 0));
            putBytes(out, s.sketch);
            return out.array();
        },
        (Deserializer<ReportState>) (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            final ByteBuffer in = ByteBuffer.wrap(bytes);
            final long impressions = in.getLong();
            final long premium = in.getLong();
            final long clicks = in.getLong();
            final long unattributed = in.getLong();
            final long spend = in.getLong();
            final byte[] currency = new byte[3];
            in.get(currency);
            final ReportState s = new ReportState(new String(currency, StandardCharsets.US_ASCII));
            s.impressions = impressions;
            s.premiumImpressions = premium;
            s.clicks = clicks;
            s.unattributedClicks = unattributed;
            s.spendUnits = spend;
            s.version = in.getLong();
            s.isFinal = in.get() == 1;
            s.sketch = getBytes(in);
            return s;
        });

    /** Reports are keyed hour first, so that closing an hour is one range of the store. */
    static byte[] reportKey(final long hourStart, final long campaignId, final short country) {
        return ByteBuffer.allocate(18).putLong(hourStart).putLong(campaignId).putShort(country).array();
    }

    /** A campaign's cumulative billed spend (1e-7 units, unbounded), its latest budget, and the alerts fired. */
    record PacingState(BigInteger spendUnits, long budgetCents, String currency, int firedThresholds) {
    }

    static final Serde<PacingState> PACING_STATE = Serdes.serdeFrom(
        (Serializer<PacingState>) (topic, s) -> {
            final byte[] spend = s.spendUnits().toByteArray();
            return ByteBuffer.allocate(8 + 3 + 4 + 4 + spend.length).putLong(s.budgetCents())
                .put(s.currency().getBytes(StandardCharsets.US_ASCII)).putInt(s.firedThresholds())
                .putInt(spend.length).put(spend).array();
        },
        (Deserializer<PacingState>) (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            final ByteBuffer in = ByteBuffer.wrap(bytes);
            final long budget = in.getLong();
            final byte[] currency = new byte[3];
            in.get(currency);
            final int fired = in.getInt();
            return new PacingState(new BigInteger(getBytes(in)), budget, new String(currency, StandardCharsets.US_ASCII),
                fired);
        });

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static void putBytes(final ByteBuffer out, final byte[] bytes) {
        if (bytes == null) {
            out.putInt(-1);
        } else {
            out.putInt(bytes.length).put(bytes);
        }
    }

    private static byte[] getBytes(final ByteBuffer in) {
        final int length = in.getInt();
        if (length < 0) {
            return null;
        }
        final byte[] bytes = new byte[length];
        in.get(bytes);
        return bytes;
    }

    static void putUuid(final ByteBuffer out, final UUID id) {
        out.putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
    }

    static UUID getUuid(final ByteBuffer in) {
        return new UUID(in.getLong(), in.getLong());
    }
}
