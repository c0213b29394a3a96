package dev.metropolis.kubernetes.apiserver.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Label and field selectors, parsed into predicates over stored objects. */
final class Selectors {
  /** Field labels beyond metadata.name/metadata.namespace, by kind (upstream's sets). */
  private static final Map<String, Set<String>> FIELDS =
      Map.of(
          "Pod",
          Set.of(
              "spec.nodeName",
              "spec.restartPolicy",
              "spec.schedulerName",
              "spec.serviceAccountName",
              "spec.hostNetwork",
              "status.phase",
              "status.podIP",
              "status.nominatedNodeName"),
          "Event",
          Set.of(
              "involvedObject.kind",
              "involvedObject.namespace",
              "involvedObject.name",
              "involvedObject.uid",
              "involvedObject.apiVersion",
              "involvedObject.resourceVersion",
              "involvedObject.fieldPath",
              "reason",
              "reportingComponent",
              "source",
              "type"),
          "Node",
          Set.of("spec.unschedulable"),
          "Secret",
          Set.of("type"),
          "Namespace",
          Set.of("status.phase"),
          "ReplicaSet",
          Set.of("status.replicas"));

  private Selectors() {}

  private enum Op {
    EQUALS,
    NOT_EQUALS,
    IN,
    NOT_IN,
    EXISTS,
    NOT_EXISTS
  }

  private record Requirement(String key, Op op, List<String> values) {
    boolean matches(JsonNode labels) {
      JsonNode v = labels.get(key);
      boolean has = v != null && !v.isNull();
      String s = has ? v.asString() : null;
      return switch (op) {
        case EXISTS -> has;
        case NOT_EXISTS -> !has;
        case EQUALS, IN -> has && values.contains(s);
        case NOT_EQUALS, NOT_IN -> !has || !values.contains(s);
      };
    }
  }

  /** Parses a label selector ({@code a=b,c!=d,e in (x,y),!f}); bad syntax is a 400. */
  static Predicate<ObjectNode> labels(String selector) {
    List<Requirement> reqs = new ArrayList<>();
    String s = selector.trim();
    int i = 0;
    while (i < s.length()) {
      int end = i;
      int depth = 0;
      while (end < s.length() && (depth > 0 || s.charAt(end) != ',')) {
        if (s.charAt(end) == '(') {
          depth++;
        } else if (s.charAt(end) == ')') {
          depth--;
        }
        end++;
      }
      String part = s.substring(i, end).trim();
      if (!part.isEmpty()) {
        reqs.add(requirement(part, selector));
      }
      i = end + 1;
    }
    return o -> {
      JsonNode labels = o.path("metadata").path("labels");
      return reqs.stream().allMatch(r -> r.matches(labels));
    };
  }

  private static Requirement requirement(String part, String selector) {
    if (part.startsWith("!")) {
      return new Requirement(
          checkKey(part.substring(1).trim(), selector), Op.NOT_EXISTS, List.of());
    }
    java.util.regex.Matcher set =
        java.util.regex.Pattern.compile("^(\\S+)\\s+(in|notin)\\s*\\((.*)\\)$").matcher(part);
    if (set.matches()) {
      List<String> values = new ArrayList<>();
      for (String v : set.group(3).split(",", -1)) {
        values.add(v.trim());
      }
      return new Requirement(
          checkKey(set.group(1), selector), set.group(2).equals("in") ? Op.IN : Op.NOT_IN, values);
    }
    int ne = part.indexOf("!=");
    if (ne > 0) {
      return new Requirement(
          checkKey(part.substring(0, ne).trim(), selector),
          Op.NOT_EQUALS,
          List.of(part.substring(ne + 2).trim()));
    }
    int eq = part.indexOf('=');
    if (eq > 0) {
      String value = part.substring(part.startsWith("==", eq) ? eq + 2 : eq + 1).trim();
      return new Requirement(
          checkKey(part.substring(0, eq).trim(), selector), Op.EQUALS, List.of(value));
    }
    return new Requirement(checkKey(part, selector), Op.EXISTS, List.of());
  }

  private static String checkKey(String key, String selector) {
    if (key.isEmpty() || !key.matches("[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?")) {
      throw ApiException.badRequest(
          "unable to parse requirement: invalid label key \"" + key + "\" in \"" + selector + "\"");
    }
    return key;
  }

  /** Parses a field selector for {@code kind}; unsupported field labels are a 400. */
  static Predicate<ObjectNode> fields(String selector, String kind) {
    Predicate<ObjectNode> all = o -> true;
    for (String raw : selector.split(",", -1)) {
      String part = raw.trim();
      if (part.isEmpty()) {
        continue;
      }
      boolean negate;
      String field;
      String value;
      int ne = part.indexOf("!=");
      int eq = part.indexOf('=');
      if (ne > 0) {
        negate = true;
        field = part.substring(0, ne).trim();
        value = part.substring(ne + 2).trim();
      } else if (eq > 0) {
        negate = false;
        field = part.substring(0, eq).trim();
        value = part.substring(part.startsWith("==", eq) ? eq + 2 : eq + 1).trim();
      } else {
        throw ApiException.badRequest(
            "invalid selector: '" + selector + "'; can't understand '" + part + "'");
      }
      if (!field.equals("metadata.name")
          && !field.equals("metadata.namespace")
          && !FIELDS.getOrDefault(kind, Set.of()).contains(field)) {
        throw ApiException.badRequest("field label not supported: " + field);
      }
      String[] path = field.split("\\.", -1);
      String wanted = value;
      Predicate<ObjectNode> p =
          o -> {
            JsonNode cur = o;
            for (String seg : path) {
              cur = cur.path(seg);
            }
            String actual = cur.isValueNode() ? cur.asString() : "";
            if (field.equals("source") && actual.isEmpty()) {
              actual = Json.text(o, "source", "component");
            }
            return actual.equals(wanted) != negate;
          };
      all = all.and(p);
    }
    return all;
  }
}
