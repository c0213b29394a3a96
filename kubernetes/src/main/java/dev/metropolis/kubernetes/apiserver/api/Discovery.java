package dev.metropolis.kubernetes.apiserver.api;

import dev.metropolis.kubernetes.apiserver.registry.Registry;
import dev.metropolis.kubernetes.apiserver.registry.ResourceType;
import java.util.List;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Discovery documents: the legacy tree ({@code /api}, {@code /apis}, one APIResourceList per group
 * version) and aggregated discovery (APIGroupDiscoveryList, v2 or v2beta1 as the client asks).
 */
final class Discovery {
  static final String AGGREGATED_V2 =
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
  static final String AGGREGATED_V2BETA1 =
      "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

  private final Registry registry;

  Discovery(Registry registry) {
    this.registry = registry;
  }

  /** The aggregated content type the Accept header asks for, or null for legacy JSON. */
  static String aggregatedType(String accept) {
    for (String part : accept.split(",", -1)) {
      String p = part.replace(" ", "");
      if (p.contains("g=apidiscovery.k8s.io") && p.contains("as=APIGroupDiscoveryList")) {
        if (p.contains("v=v2;") || p.endsWith("v=v2")) {
          return AGGREGATED_V2;
        }
        if (p.contains("v=v2beta1")) {
          return AGGREGATED_V2BETA1;
        }
      }
    }
    return null;
  }

  ObjectNode legacyApi(String serverAddress) {
    ObjectNode o = Json.object();
    o.put("kind", "APIVersions");
    o.putArray("versions").add("v1");
    o.putArray("serverAddressByClientCIDRs")
        .addObject()
        .put("clientCIDR", "0.0.0.0/0")
        .put("serverAddress", serverAddress);
    return o;
  }

  ObjectNode legacyApis() {
    ObjectNode o = Json.object();
    o.put("kind", "APIGroupList").put("apiVersion", "v1");
    ArrayNode groups = o.putArray("groups");
    for (String g : registry.groups()) {
      if (!g.isEmpty()) {
        groups.add(group(g));
      }
    }
    return o;
  }

  ObjectNode group(String g) {
    ObjectNode o = Json.object();
    o.put("kind", "APIGroup").put("apiVersion", "v1").put("name", g);
    ArrayNode versions = o.putArray("versions");
    List<String> vs = registry.versions(g);
    for (String v : vs) {
      versions.addObject().put("groupVersion", g + "/" + v).put("version", v);
    }
    o.putObject("preferredVersion")
        .put("groupVersion", g + "/" + vs.getFirst())
        .put("version", vs.getFirst());
    return o;
  }

  ObjectNode resourceList(String group, String version) {
    ObjectNode o = Json.object();
    o.put("kind", "APIResourceList").put("apiVersion", "v1");
    o.put("groupVersion", group.isEmpty() ? version : group + "/" + version);
    ArrayNode resources = o.putArray("resources");
    for (ResourceType t : registry.inGroupVersion(group, version)) {
      ObjectNode r = resources.addObject();
      r.put("name", t.resource()).put("singularName", t.singular());
      r.put("namespaced", t.namespaced()).put("kind", t.kind());
      strings(r.putArray("verbs"), t.verbs());
      if (!t.shortNames().isEmpty()) {
        strings(r.putArray("shortNames"), t.shortNames());
      }
      if (!t.categories().isEmpty()) {
        strings(r.putArray("categories"), t.categories());
      }
      for (String sub : t.subresources().stream().sorted().toList()) {
        ObjectNode s = resources.addObject();
        s.put("name", t.resource() + "/" + sub).put("singularName", "");
        s.put("namespaced", t.namespaced());
        if (sub.equals("scale")) {
          s.put("group", "autoscaling").put("version", "v1").put("kind", "Scale");
        } else {
          s.put("kind", subresourceKind(t, sub));
        }
        strings(s.putArray("verbs"), subresourceVerbs(sub));
      }
    }
    return o;
  }

  /** APIGroupDiscoveryList of the core group ({@code core}) or of every named group. */
  ObjectNode aggregated(boolean core, String contentType) {
    ObjectNode o = Json.object();
    o.put("kind", "APIGroupDiscoveryList");
    o.put(
        "apiVersion",
        contentType.equals(AGGREGATED_V2)
            ? "apidiscovery.k8s.io/v2"
            : "apidiscovery.k8s.io/v2beta1");
    o.putObject("metadata");
    ArrayNode items = o.putArray("items");
    for (String g : registry.groups()) {
      if (g.isEmpty() != core) {
        continue;
      }
      ObjectNode item = items.addObject();
      item.putObject("metadata").put("name", g);
      ArrayNode versions = item.putArray("versions");
      for (String v : registry.versions(g)) {
        ObjectNode ver = versions.addObject();
        ver.put("version", v).put("freshness", "Current");
        ArrayNode rs = ver.putArray("resources");
        for (ResourceType t : registry.inGroupVersion(g, v)) {
          ObjectNode r = rs.addObject();
          r.put("resource", t.resource()).put("singularResource", t.singular());
          r.put("scope", t.namespaced() ? "Namespaced" : "Cluster");
          r.putObject("responseKind").put("group", g).put("version", v).put("kind", t.kind());
          strings(r.putArray("verbs"), t.verbs());
          if (!t.shortNames().isEmpty()) {
            strings(r.putArray("shortNames"), t.shortNames());
          }
          if (!t.categories().isEmpty()) {
            strings(r.putArray("categories"), t.categories());
          }
          if (!t.subresources().isEmpty()) {
            ArrayNode subs = r.putArray("subresources");
            for (String sub : t.subresources().stream().sorted().toList()) {
              ObjectNode s = subs.addObject().put("subresource", sub);
              ObjectNode kind = s.putObject("responseKind");
              if (sub.equals("scale")) {
                kind.put("group", "autoscaling").put("version", "v1").put("kind", "Scale");
              } else {
                kind.put("group", g).put("version", v).put("kind", subresourceKind(t, sub));
              }
              strings(s.putArray("verbs"), subresourceVerbs(sub));
            }
          }
        }
      }
    }
    return o;
  }

  private static void strings(ArrayNode a, List<String> values) {
    values.forEach(a::add);
  }

  /** What a subresource answers with: a Binding for pods/binding, else the kind itself. */
  private static String subresourceKind(ResourceType t, String sub) {
    return switch (sub) {
      case "binding" -> "Binding";
      case "log", "exec", "attach", "portforward" -> "PodProxyOptions";
      default -> t.kind();
    };
  }

  private static List<String> subresourceVerbs(String sub) {
    return switch (sub) {
      case "binding" -> List.of("create");
      case "finalize" -> List.of("update");
      case "log" -> List.of("get");
      case "exec", "attach", "portforward" -> List.of("create", "get");
      default -> List.of("get", "patch", "update");
    };
  }
}
