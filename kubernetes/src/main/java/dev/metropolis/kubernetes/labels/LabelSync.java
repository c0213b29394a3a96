package dev.metropolis.kubernetes.labels;

import dev.metropolis.kubernetes.apiserver.api.Json;
import dev.metropolis.kubernetes.client.RestClient;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Keeps Kubernetes Node labels in step with Metropolis: the role labels {@code
 * node-role.kubernetes.io/<Role>} and the Metropolis node labels whose key fully matches one of the
 * cluster's {@code node_labels_to_synchronize} expressions. The keys it set are recorded in the
 * annotation {@value #OWNED}, so it removes only what it put there (upstream uses server-side
 * apply's field ownership for this; our server keeps no managedFields). A label of the same key set
 * by someone else is a collision: that node is left untouched and reported.
 */
public final class LabelSync {
  public static final String OWNED = "metropolis.monogon.dev/synchronized-labels";
  public static final String ROLE_PREFIX = "node-role.kubernetes.io/";

  /** What one cycle did. */
  public record Result(int patched, List<String> collisions) {}

  private LabelSync() {}

  /** The labels Metropolis wants on a node: one per role, and each label matching an expression. */
  public static Map<String, String> desired(
      Set<String> roles, Map<String, String> labels, List<Pattern> synchronize) {
    var out = new java.util.TreeMap<String, String>();
    for (String role : roles) {
      out.put(ROLE_PREFIX + role, "");
    }
    labels.forEach((k, v) -> {
      if (synchronize.stream().anyMatch(p -> p.matcher(k).matches())) {
        out.put(k, v);
      }
    });
    return out;
  }

  /** One cycle over every Kubernetes Node that is in {@code desired} (keyed by node name). */
  public static Result sync(RestClient api, Map<String, Map<String, String>> desired)
      throws IOException, InterruptedException {
    RestClient.Response list = api.get("/api/v1/nodes");
    if (!list.ok()) {
      throw new IOException("listing Nodes: " + list.message());
    }
    int patched = 0;
    List<String> collisions = new ArrayList<>();
    for (JsonNode node : list.body().path("items")) {
      String name = node.path("metadata").path("name").asString("");
      Map<String, String> want = desired.get(name);
      if (want == null) {
        continue;
      }
      JsonNode current = node.path("metadata").path("labels");
      Set<String> owned = owned(node);
      ObjectNode labels = Json.object();
      String collision = null;
      for (var e : want.entrySet()) {
        JsonNode have = current.get(e.getKey());
        if (have != null
            && !owned.contains(e.getKey())
            && !have.asString("").equals(e.getValue())) {
          collision = e.getKey();
          break;
        }
        if (have == null || !have.asString("").equals(e.getValue())) {
          labels.put(e.getKey(), e.getValue());
        }
      }
      if (collision != null) {
        collisions.add(name + ": label " + collision + " is set by someone else");
        continue;
      }
      for (String k : owned) {
        if (!want.containsKey(k) && current.has(k)) {
          labels.putNull(k);
        }
      }
      String ownedNow = String.join(",", new TreeSet<>(want.keySet()));
      String ownedBefore = node.path("metadata").path("annotations").path(OWNED).asString("");
      if (labels.isEmpty() && ownedNow.equals(ownedBefore)) {
        continue;
      }
      ObjectNode patch = Json.object();
      ObjectNode meta = patch.putObject("metadata");
      meta.set("labels", labels);
      meta.putObject("annotations").put(OWNED, ownedNow);
      RestClient.Response r = api.mergePatch("/api/v1/nodes/" + name, patch);
      if (!r.ok() && r.code() != 404) {
        throw new IOException("labelling Node " + name + ": " + r.message());
      }
      patched++;
    }
    return new Result(patched, collisions);
  }

  private static Set<String> owned(JsonNode node) {
    String a = node.path("metadata").path("annotations").path(OWNED).asString("");
    Set<String> out = new TreeSet<>();
    if (!a.isEmpty()) {
      out.addAll(Arrays.asList(a.split(",")));
    }
    return out;
  }
}
