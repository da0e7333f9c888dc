package io.melodyud.contracts.serde;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.avro.output.RoyaltyAggregate;
import org.apache.avro.util.ClassSecurityValidator;
import org.junit.jupiter.api.Test;

class AvroTrustTest {

    @Test
    void contractClassesAreTrustedAndOthersAreNot() {
        AvroTrust.trustContractClasses();
        AvroTrust.trustContractClasses();
        assertTrue(ClassSecurityValidator.getGlobal().isTrusted(RoyaltyAggregate.class));
        // A class a hostile schema could name to run code must stay forbidden.
        assertFalse(ClassSecurityValidator.getGlobal().isTrusted(ProcessBuilder.class));
    }
}
