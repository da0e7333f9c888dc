package io.melodyud.topologies.plays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The window-count value: a track's counts per country in one window, as stored and as published. */
class CountryCountsTest {

    private static final short WORLD = 0;
    private static final short CO = InternalCodecs.countryCode("CO");
    private static final short BR = InternalCodecs.countryCode("BR");

    @Test
    void countsAddUpPerCountryAndSurviveTheStore() {
        final CountryCounts counts = new CountryCounts();
        assertEquals(1, counts.add(CO, 1));
        assertEquals(1, counts.add(WORLD, 1));
        assertEquals(3, counts.add(CO, 2));
        assertEquals(3_000_000_000L, counts.add(BR, 3_000_000_000L), "counts are longs, not ints");
        final CountryCounts stored = CountryCounts.decode(counts.encode());
        assertEquals(3, stored.get(CO));
        assertEquals(1, stored.get(WORLD));
        assertEquals(3_000_000_000L, stored.get(BR));
        assertEquals(0, stored.get(InternalCodecs.countryCode("US")), "a country with no plays");
        assertEquals(4, stored.add(CO, 1), "a stored count goes on from where it was");
    }

    @Test
    void onlyCountriesThatChangedSinceTheLastPublishAreMarked() {
        final CountryCounts counts = new CountryCounts();
        counts.add(CO, 1);
        counts.add(BR, 1);
        counts.clearChanged();
        counts.add(BR, 1);
        for (int i = 0; i < counts.size(); i++) {
            assertEquals(counts.country(i) == BR, counts.changed(i), "country " + counts.country(i));
        }
        final CountryCounts stored = CountryCounts.decode(counts.encode());
        for (int i = 0; i < stored.size(); i++) {
            assertFalse(stored.changed(i), "nothing read from the store is new");
        }
    }

    @Test
    void aTrackPlayedEverywhereKeepsEveryCountry() {
        final CountryCounts counts = new CountryCounts();
        final String[] countries = {"AR", "BR", "CL", "CO", "DE", "ES", "FR", "GB", "IN", "JP", "MX", "US"};
        for (int round = 1; round <= 3; round++) {
            for (final String country : countries) {
                counts.add(InternalCodecs.countryCode(country), round);
            }
        }
        final CountryCounts stored = CountryCounts.decode(counts.encode());
        assertEquals(countries.length, stored.size());
        for (final String country : countries) {
            assertEquals(6, stored.get(InternalCodecs.countryCode(country)), country);
        }
        assertTrue(counts.encode().length < 1 + 1 + countries.length * 3 + 1, "about 3 bytes per country");
    }
}
