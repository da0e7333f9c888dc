package io.melodyud.contracts.serde;

import io.melodyud.avro.event.PlayEvent;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12 refuses to instantiate classes outside a trusted list when it reads or writes specific records
 * (a defence against gadget classes named in hostile schemas). Our generated contract classes must be trusted,
 * and only those: this adds the {@value #PACKAGE} package to whatever the JVM already trusts. It is global
 * because Avro's validator is; installing it twice is harmless.
 */
public final class AvroTrust {

    static final String PACKAGE = "io.melodyud.avro.";

    private AvroTrust() {
    }

    /** Makes Avro trust the generated contract classes; a no-op when it already does. */
    public static synchronized void trustContractClasses() {
        final ClassSecurityValidator.ClassSecurityPredicate current = ClassSecurityValidator.getGlobal();
        if (current.isTrusted(PlayEvent.class)) {
            return;
        }
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(current,
            type -> type.getName().startsWith(PACKAGE)));
    }
}
