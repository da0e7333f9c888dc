package io.melodyud.topologies.ads;

import io.melodyud.avro.cdc.AdCampaign;
import io.melodyud.avro.cdc.User;
import io.melodyud.avro.event.AdClick;
import io.melodyud.avro.event.AdImpression;
import io.melodyud.topologies.common.BadInputException;
import java.math.BigDecimal;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The contract checks of the ad-reports inputs: what sends a record to the dead-letter topic, with a stable reason
 * (the {@code melody.error.reason} header and the counter tag). Checks that need state (an unknown campaign, a click
 * naming another user's impression) are made by the processors, with reasons declared here.
 */
final class AdRules {

    /** Event and change times before this instant are broken clocks (a zeroed clock), not history. */
    static final long MIN_TIMESTAMP = 946_684_800_000L; // 2000-01-01T00:00:00Z

    static final String NULL_KEY = "null-key";
    static final String NULL_VALUE = "null-value";
    static final String UNKNOWN_CAMPAIGN = "unknown-campaign";
    static final String CAMPAIGN_NOT_ACTIVE = "invalid-impression:campaign-not-active";
    static final String OUTSIDE_CAMPAIGN_DATES = "invalid-impression:outside-campaign-dates";
    static final String COUNTRY_NOT_TARGETED = "invalid-impression:country-not-targeted";
    static final String CLICK_USER_MISMATCH = "invalid-click:user-mismatch";
    static final String CLICK_CAMPAIGN_MISMATCH = "invalid-click:campaign-mismatch";
    static final String CURRENCY_CHANGED = "invalid-campaign:currency-changed";

    private final long maxFutureMs;

    AdRules(final long maxFutureMs) {
        this.maxFutureMs = maxFutureMs;
    }

    AdImpression validate(final Long key, final AdImpression impression, final long nowMs) {
        if (key == null) {
            throw new BadInputException(NULL_KEY, "Impression without a key: producers must key impressions by user_id");
        }
        if (impression == null) {
            throw new BadInputException(NULL_VALUE, "Tombstone on the impressions topic for user " + key);
        }
        // Messages are built only when an event is refused: valid events are the hot path.
        final Supplier<String> what = () -> "Impression " + impression.getImpressionId();
        checkIds("invalid-impression", what, impression.getImpressionId(), impression.getUserId(),
            impression.getCampaignId());
        if (impression.getCreativeId() <= 0) {
            throw new BadInputException("invalid-impression:id", what.get() + " has creative "
                + impression.getCreativeId());
        }
        if (key != impression.getUserId()) {
            // The key decides the partition, and with it the user history and deduplication the impression meets.
            throw new BadInputException("invalid-impression:key-not-user", what.get() + " is keyed " + key
                + " but served to user " + impression.getUserId());
        }
        checkTime("invalid-impression", () -> what.get() + " served at " + impression.getServedAt(),
            impression.getServedAt().toEpochMilli(), nowMs);
        checkCountry("invalid-impression", what, impression.getCountry());
        return impression;
    }

    AdClick validate(final Long key, final AdClick click, final long nowMs) {
        if (key == null) {
            throw new BadInputException(NULL_KEY, "Click without a key: producers must key clicks by user_id");
        }
        if (click == null) {
            throw new BadInputException(NULL_VALUE, "Tombstone on the clicks topic for user " + key);
        }
        final Supplier<String> what = () -> "Click " + click.getClickId();
        checkIds("invalid-click", what, click.getClickId(), click.getUserId(), click.getCampaignId());
        if (isNil(click.getImpressionId())) {
            throw new BadInputException("invalid-click:id", what.get() + " names the nil impression id");
        }
        if (key != click.getUserId()) {
            throw new BadInputException("invalid-click:key-not-user", what.get() + " is keyed " + key
                + " but made by user " + click.getUserId());
        }
        checkTime("invalid-click", () -> what.get() + " at " + click.getClickedAt(),
            click.getClickedAt().toEpochMilli(), nowMs);
        checkCountry("invalid-click", what, click.getCountry());
        return click;
    }

    /** Checks a change of the users topic; a tombstone (erasure) is valid. */
    void validate(final Long key, final User user, final long nowMs) {
        if (key == null) {
            throw new BadInputException(NULL_KEY, "User change without a key");
        }
        if (user == null) {
            return;
        }
        final String what = "User " + user.getUserId();
        if (user.getUserId() != key) {
            throw new BadInputException("invalid-user:key-mismatch", what + " is keyed " + key);
        }
        checkTime("invalid-user", () -> what + " updated at " + user.getUpdatedAt(),
            user.getUpdatedAt().toEpochMilli(), nowMs);
        checkCountry("invalid-user", () -> what, user.getCountry());
    }

    /** Checks a change of the campaigns topic; a tombstone (the row was deleted) is valid. */
    void validate(final Long key, final AdCampaign campaign, final long nowMs) {
        if (key == null) {
            throw new BadInputException(NULL_KEY, "Campaign change without a key");
        }
        if (campaign == null) {
            return;
        }
        final String what = "Campaign " + campaign.getCampaignId();
        if (campaign.getCampaignId() <= 0) {
            throw new BadInputException("invalid-campaign:id", what + " has no valid id");
        }
        if (campaign.getCampaignId() != key) {
            throw new BadInputException("invalid-campaign:key-mismatch", what + " is keyed " + key);
        }
        if (campaign.getCpm().signum() < 0) {
            throw new BadInputException("invalid-campaign:negative-cpm", what + " has CPM " + campaign.getCpm());
        }
        if (campaign.getBudget().signum() <= 0) {
            throw new BadInputException("invalid-campaign:budget", what + " has budget " + campaign.getBudget()
                + ": pacing needs a positive budget");
        }
        if (!isCurrencyCode(campaign.getCurrency())) {
            throw new BadInputException("invalid-campaign:currency", what + " has currency '" + campaign.getCurrency()
                + "', not an ISO 4217 code");
        }
        for (final String country : campaign.getTargetCountries()) {
            checkCountry("invalid-campaign", () -> what, country);
        }
        if (campaign.getStartsAt().compareTo(campaign.getEndsAt()) >= 0) {
            throw new BadInputException("invalid-campaign:dates", what + " starts at " + campaign.getStartsAt()
                + ", not before it ends at " + campaign.getEndsAt());
        }
        checkTime("invalid-campaign", () -> what + " updated at " + campaign.getUpdatedAt(),
            campaign.getUpdatedAt().toEpochMilli(), nowMs);
        // Precision 12 and 14 fit a long unscaled; a value the schema allows but a long does not is refused here.
        requireLongUnscaled(what, "cpm", campaign.getCpm());
        requireLongUnscaled(what, "budget", campaign.getBudget());
    }

    private static void requireLongUnscaled(final String what, final String field, final BigDecimal value) {
        if (value.unscaledValue().bitLength() > 62) {
            throw new BadInputException("invalid-campaign:" + field, what + " has " + field + " " + value
                + ", too large");
        }
    }

    private static void checkIds(final String kind, final Supplier<String> what, final UUID id, final long userId,
                                 final long campaignId) {
        if (isNil(id) || userId <= 0 || campaignId <= 0) {
            throw new BadInputException(kind + ":id", what.get() + " has user " + userId + " and campaign "
                + campaignId);
        }
    }

    private void checkTime(final String kind, final Supplier<String> what, final long timeMs, final long nowMs) {
        if (timeMs < MIN_TIMESTAMP) {
            throw new BadInputException(kind + ":timestamp-before-2000", what.get());
        }
        if (timeMs > nowMs + maxFutureMs) {
            throw new BadInputException(kind + ":timestamp-in-future", what.get() + ", in the future");
        }
    }

    private static void checkCountry(final String kind, final Supplier<String> what, final String country) {
        if (!isCountryCode(country)) {
            throw new BadInputException(kind + ":country", what.get() + " has country '" + country
                + "', not an ISO 3166-1 alpha-2 code");
        }
    }

    boolean timeIsPlausible(final long timeMs, final long nowMs) {
        return timeMs >= MIN_TIMESTAMP && timeMs <= nowMs + maxFutureMs;
    }

    private static boolean isNil(final UUID id) {
        return id.getMostSignificantBits() == 0 && id.getLeastSignificantBits() == 0;
    }

    /** Two upper-case ASCII letters. */
    static boolean isCountryCode(final String country) {
        return country.length() == 2 && isUpperAscii(country.charAt(0)) && isUpperAscii(country.charAt(1));
    }

    static boolean isCurrencyCode(final String currency) {
        return currency.length() == 3 && isUpperAscii(currency.charAt(0)) && isUpperAscii(currency.charAt(1))
            && isUpperAscii(currency.charAt(2));
    }

    private static boolean isUpperAscii(final char c) {
        return c >= 'A' && c <= 'Z';
    }

    static short countryCode(final String country) {
        return (short) ((country.charAt(0) << 8) | country.charAt(1));
    }

    static String country(final short code) {
        return new String(new char[] {(char) ((code >>> 8) & 0xff), (char) (code & 0xff)});
    }
}
