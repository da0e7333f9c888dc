package io.melodyud.topologies.ads;

import io.melodyud.avro.cdc.AdCampaign;
import io.melodyud.topologies.ads.AdCodecs.CampaignVersion;
import io.melodyud.topologies.common.BadInputException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Reads the campaigns topic (one partition: a reference table), sends a bad change to the dead-letter topic and
 * passes every good one on, as a {@link CampaignVersion} (or its deletion), to be broadcast to every
 * intake partition. A campaign's currency never changes: spend and budget of one campaign are summed and compared,
 * so a change of currency is refused (dead letter {@value AdRules#CURRENCY_CHANGED}) and the previous version
 * stays in force.
 */
final class CampaignIntakeProcessor implements Processor<Long, AdCampaign, Long, CampaignVersion> {

    static final String CURRENCIES_STORE = "ad-campaign-currencies";

    private final AdRules rules;
    private ProcessorContext<Long, CampaignVersion> context;
    private KeyValueStore<Long, String> currencies;

    CampaignIntakeProcessor(final AdReportsConfig config) {
        this.rules = new AdRules(config.maxFutureMs());
    }

    @Override
    public void init(final ProcessorContext<Long, CampaignVersion> context) {
        this.context = context;
        this.currencies = context.getStateStore(CURRENCIES_STORE);
    }

    @Override
    public void process(final Record<Long, AdCampaign> record) {
        final AdCampaign campaign = record.value();
        rules.validate(record.key(), campaign, context.currentSystemTimeMs());
        if (campaign == null) {
            currencies.delete(record.key());
            context.forward(record.withValue(CampaignVersion.deletion(record.key())));
            return;
        }
        final String known = currencies.get(campaign.getCampaignId());
        if (known != null && !known.equals(campaign.getCurrency())) {
            throw new BadInputException(AdRules.CURRENCY_CHANGED, "Campaign " + campaign.getCampaignId()
                + " changes currency from " + known + " to " + campaign.getCurrency());
        }
        if (known == null) {
            currencies.put(campaign.getCampaignId(), campaign.getCurrency());
        }
        context.forward(record.withValue(CampaignVersion.of(campaign)));
    }
}
