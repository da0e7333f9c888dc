package io.melodyud.connectors.cdc;

import io.melodyud.avro.cdc.AdCampaign;
import io.melodyud.avro.cdc.RightsHolder;
import io.melodyud.avro.cdc.RoyaltyRate;
import io.melodyud.avro.cdc.Subscription;
import io.melodyud.avro.cdc.Track;
import io.melodyud.avro.cdc.User;
import java.util.Arrays;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;

/**
 * The operational tables CDC publishes, each to one logical topic, whatever shard tables hold its rows. The key of
 * the topic is the column named here (for subscriptions the primary key is {@code (user_id, subscription_id)}
 * because Citus requires the distribution column in it, but consumers key by {@code subscription_id}).
 */
public enum LogicalTable {
    USERS("users", "users", "user_id", false, User.getClassSchema()),
    SUBSCRIPTIONS("subscriptions", "subscriptions", "subscription_id", false, Subscription.getClassSchema()),
    RIGHTS_HOLDERS("rights_holders", "rights-holders", "rights_holder_id", true, RightsHolder.getClassSchema()),
    TRACKS("tracks", "tracks", "track_id", true, Track.getClassSchema()),
    ROYALTY_RATES("royalty_rates", "royalty-rates", "rate_id", true, RoyaltyRate.getClassSchema()),
    AD_CAMPAIGNS("ad_campaigns", "ad-campaigns", "campaign_id", true, AdCampaign.getClassSchema());

    private final String tableName;
    private final String topicSuffix;
    private final String keyColumn;
    private final boolean reference;
    private final Schema valueSchema;

    LogicalTable(final String tableName, final String topicSuffix, final String keyColumn, final boolean reference,
                 final Schema valueSchema) {
        this.tableName = tableName;
        this.topicSuffix = topicSuffix;
        this.keyColumn = keyColumn;
        this.reference = reference;
        this.valueSchema = valueSchema;
    }

    /** Name of the table in the operational schema (and prefix of its shard tables). */
    public String tableName() {
        return tableName;
    }

    /** The logical topic of this table under {@code prefix}: {@code melody.cdc} gives {@code melody.cdc.users}. */
    public String topic(final String prefix) {
        return prefix + "." + topicSuffix;
    }

    public String keyColumn() {
        return keyColumn;
    }

    /** Reference tables are copied to every worker; their changes are published from one node only. */
    public boolean isReference() {
        return reference;
    }

    /** The contract the rows are converted to (a generated class's schema). */
    public Schema valueSchema() {
        return valueSchema;
    }

    @SuppressWarnings("unchecked")
    public Class<? extends SpecificRecord> valueClass() {
        try {
            return (Class<? extends SpecificRecord>) Class.forName(valueSchema.getFullName());
        } catch (final ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Optional<LogicalTable> byTableName(final String name) {
        return Arrays.stream(values()).filter(t -> t.tableName.equals(name)).findFirst();
    }
}
