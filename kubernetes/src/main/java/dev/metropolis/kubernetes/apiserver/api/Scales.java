package dev.metropolis.kubernetes.apiserver.api;

import dev.metropolis.kubernetes.apiserver.http.Exchange;
import dev.metropolis.kubernetes.apiserver.http.Request;
import dev.metropolis.kubernetes.apiserver.registry.ResourceType;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** The scale subresource: an autoscaling/v1 Scale view of spec.replicas (kubectl scale). */
final class Scales {
  private Scales() {}

  static void handle(
      Request r,
      Exchange x,
      ResourceType t,
      String ns,
      String name,
      Resources resources,
      ApiHandler api) {
    ObjectNode current = resources.get(t, ns, name);
    switch (r.method()) {
      case "GET" -> api.send(x, 200, scale(current), List.of());
      case "PUT", "PATCH" -> {
        ObjectNode old = scale(current);
        JsonNode next =
            r.method().equals("PUT")
                ? Json.parseObject(r.body())
                : switch (r.header("content-type").split(";", -1)[0].trim()) {
                  case "application/json-patch+json" ->
                      Patches.jsonPatch(old, Json.parse(r.body()));
                  default -> Patches.mergePatch(old, Json.parse(r.body()));
                };
        JsonNode replicas = next.path("spec").path("replicas");
        if (!replicas.isIntegralNumber() || replicas.asInt() < 0) {
          throw ApiException.invalid(
              t,
              name,
              List.of(
                  new ApiException.Cause(
                      "FieldValueInvalid",
                      "Invalid value: " + replicas + ": must be greater than or equal to 0",
                      "spec.replicas")));
        }
        String rv = Json.text(next, "metadata", "resourceVersion");
        ObjectNode patch = Json.object();
        patch.putObject("spec").put("replicas", replicas.asInt());
        if (r.method().equals("PUT") && !rv.isEmpty()) {
          patch.putObject("metadata").put("resourceVersion", rv);
        }
        Resources.Written w =
            resources.patch(
                t,
                ns,
                name,
                "",
                "application/merge-patch+json",
                Json.bytes(patch),
                ApiHandler.dryRun(r),
                Resources.Validation.IGNORE);
        api.send(x, 200, scale(w.object()), List.of());
      }
      default ->
          throw ApiException.methodNotAllowed(
              "the server does not allow this method on the requested resource");
    }
  }

  private static ObjectNode scale(ObjectNode o) {
    ObjectNode s = Json.object();
    s.put("kind", "Scale").put("apiVersion", "autoscaling/v1");
    ObjectNode m = s.putObject("metadata");
    for (String f : List.of("name", "namespace", "uid", "resourceVersion", "creationTimestamp")) {
      if (o.path("metadata").has(f)) {
        m.set(f, o.path("metadata").get(f));
      }
    }
    s.putObject("spec").put("replicas", o.path("spec").path("replicas").asInt(0));
    ObjectNode status = s.putObject("status");
    status.put("replicas", o.path("status").path("replicas").asInt(0));
    StringBuilder selector = new StringBuilder();
    for (Map.Entry<String, JsonNode> e :
        o.path("spec").path("selector").path("matchLabels").properties()) {
      if (!selector.isEmpty()) {
        selector.append(',');
      }
      selector.append(e.getKey()).append('=').append(e.getValue().asString());
    }
    status.put("selector", selector.toString());
    return s;
  }
}
