package dev.metropolis.kubernetes.apiserver.api;

import dev.metropolis.kubernetes.apiserver.registry.ResourceType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.cfg.MapperConfig;
import tools.jackson.databind.introspect.Annotated;
import tools.jackson.databind.introspect.JacksonAnnotationIntrospector;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Decoding of request objects against the kind's fabric8 model: a body that does not fit the model
 * is a 400, and fields the model does not know are found by writing the decoded object back without
 * fabric8's catch-all {@code additionalProperties} and comparing. Also name validation.
 */
final class Objects {
  /** Writes model objects without their additionalProperties: only fields the kind defines. */
  private static final JsonMapper KNOWN_ONLY =
      JsonMapper.builderWithJackson2Defaults()
          .annotationIntrospector(
              new JacksonAnnotationIntrospector() {
                private static final long serialVersionUID = 1L;

                @Override
                public Boolean hasAnyGetter(MapperConfig<?> config, Annotated a) {
                  return Boolean.FALSE;
                }
              })
          .build();

  private static final String SUBDOMAIN =
      "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
  private static final String LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  private static final String DNS1035 = "[a-z]([-a-z0-9]*[a-z0-9])?";

  /** Kinds whose names must be DNS labels (upstream's ValidateNamespaceName etc.). */
  private static final Set<String> LABEL_NAMED = Set.of("Namespace");

  private static final Set<String> DNS1035_NAMED = Set.of("Service");

  private Objects() {}

  /** The decoded object (known fields only) and the paths of the unknown fields in the body. */
  record Decoded(ObjectNode object, List<String> unknownFields) {}

  static Decoded decode(ResourceType t, ObjectNode body) {
    Object typed;
    try {
      typed = Json.MAPPER.treeToValue(body, t.model());
    } catch (JacksonException e) {
      throw ApiException.badRequest(DecodeErrors.message(t, body, e));
    }
    ObjectNode known = KNOWN_ONLY.valueToTree(typed);
    List<String> unknown = new ArrayList<>();
    unknownFields(body, known, "", unknown);
    return new Decoded(known, unknown);
  }

  private static void unknownFields(JsonNode given, JsonNode known, String path, List<String> out) {
    if (given.isObject() && known.isObject()) {
      for (Map.Entry<String, JsonNode> e : given.properties()) {
        String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
        JsonNode k = known.get(e.getKey());
        if (k == null) {
          JsonNode v = e.getValue();
          if (!v.isNull() && !(v.isContainer() && v.isEmpty())) {
            out.add(p);
          }
        } else if (!isFreeForm(e.getKey())) {
          unknownFields(e.getValue(), k, p, out);
        }
      }
    } else if (given.isArray() && known.isArray()) {
      for (int i = 0; i < given.size() && i < known.size(); i++) {
        unknownFields(given.get(i), known.get(i), path + "[" + i + "]", out);
      }
    }
  }

  /** Maps whose keys are data, not field names. */
  private static boolean isFreeForm(String field) {
    return switch (field) {
      case "labels",
          "annotations",
          "data",
          "binaryData",
          "stringData",
          "selector",
          "matchLabels",
          "nodeSelector",
          "capacity",
          "allocatable",
          "limits",
          "requests" ->
          true;
      default -> false;
    };
  }

  /** Validates the object's name for its kind: 422 Invalid with upstream's wording. */
  static void validateName(ResourceType t, String name) {
    List<ApiException.Cause> causes = new ArrayList<>();
    if (name.isEmpty()) {
      causes.add(
          new ApiException.Cause(
              "FieldValueRequired",
              "Required value: name or generateName is required",
              "metadata.name"));
    } else if (DNS1035_NAMED.contains(t.kind())) {
      check(name, DNS1035, 63, dns1035Message(), causes);
    } else if (LABEL_NAMED.contains(t.kind())) {
      check(name, LABEL, 63, labelMessage(), causes);
    } else {
      check(name, SUBDOMAIN, 253, subdomainMessage(), causes);
    }
    if (!causes.isEmpty()) {
      throw ApiException.invalid(t, name, causes);
    }
  }

  private static void check(
      String name, String regex, int max, String message, List<ApiException.Cause> causes) {
    if (name.length() > max) {
      causes.add(
          new ApiException.Cause(
              "FieldValueInvalid",
              "Invalid value: \"" + name + "\": must be no more than " + max + " characters",
              "metadata.name"));
    }
    if (!Pattern.matches(regex, name)) {
      causes.add(
          new ApiException.Cause(
              "FieldValueInvalid", "Invalid value: \"" + name + "\": " + message, "metadata.name"));
    }
  }

  private static String subdomainMessage() {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-'"
        + " or '.', and must start and end with an alphanumeric character (e.g. 'example.com',"
        + " regex used for validation is '"
        + SUBDOMAIN
        + "')";
  }

  private static String labelMessage() {
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-',"
        + " and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc',"
        + " regex used for validation is '"
        + LABEL
        + "')";
  }

  private static String dns1035Message() {
    return "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with"
        + " an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or"
        + " 'abc-123', regex used for validation is '"
        + DNS1035
        + "')";
  }
}
