package io.melodyud.ops.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.AnnotatedMethod;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Strict validation of Kubernetes manifests against the API's types, offline: each document is bound to the
 * fabric8 model class of its apiVersion and kind (generated from the Kubernetes OpenAPI schema), with unknown
 * fields and type coercions refused. The fabric8 classes accept unknown fields on purpose (into an
 * "additionalProperties" map, through {@code @JsonAnySetter}); turning that off makes a misspelt field an error,
 * as the API server's strict field validation does. Scalars are not coerced either: {@code replicas: "3"} and an
 * env {@code value: 8080} fail, as they do on a real cluster.
 */
final class KubernetesSchema {

    /** The kinds the manifests may use, by "apiVersion/kind". */
    static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
        "v1/Namespace", Namespace.class,
        "v1/ServiceAccount", ServiceAccount.class,
        "v1/ConfigMap", ConfigMap.class,
        "v1/Secret", Secret.class,
        "v1/Service", Service.class,
        "apps/v1/StatefulSet", StatefulSet.class,
        "apps/v1/Deployment", Deployment.class,
        "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
        "batch/v1/Job", Job.class);

    /** A key given twice in a mapping is an error, as it is for kubectl; the last would silently win otherwise. */
    private static final YAMLMapper YAML = YAMLMapper.builder(new YAMLFactory())
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY).build();
    private static final ObjectMapper STRICT = strictMapper();

    private KubernetesSchema() {
    }

    /** A document that failed validation: where, and why. */
    static final class InvalidManifest extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidManifest(final String message) {
            super(message);
        }
    }

    @SuppressWarnings("deprecation")
    private static ObjectMapper strictMapper() {
        final JsonMapper mapper = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .annotationIntrospector(new JacksonAnnotationIntrospector() {
                private static final long serialVersionUID = 1L;

                @Override
                public Boolean hasAnySetter(final Annotated a) {
                    return Boolean.FALSE;
                }

                @Override
                public boolean hasAnySetterAnnotation(final AnnotatedMethod am) {
                    return false;
                }
            })
            .build();
        // Numbers and booleans where the API wants a string (an unquoted port in an annotation or an env value).
        for (final CoercionInputShape shape : List.of(CoercionInputShape.Integer, CoercionInputShape.Float,
                CoercionInputShape.Boolean)) {
            mapper.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
        }
        // Strings where the API wants a number or a boolean.
        for (final LogicalType type : List.of(LogicalType.Integer, LogicalType.Float, LogicalType.Boolean)) {
            mapper.coercionConfigFor(type).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        }
        return mapper;
    }

    /** Every document of a multi-document YAML text, as trees (empty documents skipped). */
    static List<JsonNode> documents(final String yaml) throws IOException {
        final List<JsonNode> documents = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(yaml)) {
            final var values = YAML.readValues(parser, JsonNode.class);
            while (values.hasNextValue()) {
                final JsonNode document = values.nextValue();
                if (document != null && !document.isNull() && !document.isMissingNode()) {
                    documents.add(document);
                }
            }
        }
        return documents;
    }

    /** Binds a document to its Kubernetes type, or fails with the field path and the reason. */
    static HasMetadata validate(final JsonNode document) throws InvalidManifest {
        final String apiVersion = document.path("apiVersion").asText();
        final String kind = document.path("kind").asText();
        final Class<? extends HasMetadata> type = KINDS.get(apiVersion + "/" + kind);
        if (type == null) {
            throw new InvalidManifest("unknown or unexpected apiVersion/kind " + apiVersion + "/" + kind);
        }
        try {
            final HasMetadata resource = STRICT.treeToValue(document, type);
            if (resource.getMetadata() == null || resource.getMetadata().getName() == null) {
                throw new InvalidManifest(kind + " without metadata.name");
            }
            return resource;
        } catch (final MismatchedInputException e) {
            throw new InvalidManifest(kind + " " + document.path("metadata").path("name").asText() + ": at "
                + path(e) + ": " + e.getOriginalMessage());
        } catch (final IOException | IllegalArgumentException e) {
            throw new InvalidManifest(kind + " " + document.path("metadata").path("name").asText() + ": "
                + e.getMessage());
        }
    }

    private static String path(final MismatchedInputException e) {
        final StringBuilder path = new StringBuilder();
        for (final var reference : e.getPath()) {
            if (reference.getFieldName() != null) {
                path.append('.').append(reference.getFieldName());
            } else {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.length() == 0 ? "(document)" : path.substring(1);
    }
}
