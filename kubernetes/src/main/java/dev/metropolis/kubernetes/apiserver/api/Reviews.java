package dev.metropolis.kubernetes.apiserver.api;

import dev.metropolis.kubernetes.apiserver.auth.User;
import dev.metropolis.kubernetes.apiserver.registry.ResourceType;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The self reviews every authenticated user may create: who am I (SelfSubjectReview), may I
 * (SelfSubjectAccessReview) and what may I do (SelfSubjectRulesReview). They are answered from the
 * caller's identity and never stored. Only cluster-admin exists so far: it may do everything,
 * anyone else nothing but these reviews and discovery.
 */
final class Reviews {
  private Reviews() {}

  static ObjectNode answer(ResourceType t, User user, boolean admin, ObjectNode body) {
    ObjectNode o = body.deepCopy();
    o.put("kind", t.kind()).put("apiVersion", t.apiVersion());
    ObjectNode meta = o.withObject("metadata");
    meta.put("creationTimestamp", (String) null);
    ObjectNode status = o.putObject("status");
    switch (t.kind()) {
      case "SelfSubjectReview" -> {
        ObjectNode info = status.putObject("userInfo");
        info.put("username", user.name());
        ArrayNode groups = info.putArray("groups");
        user.groups().forEach(groups::add);
        groups.add("system:authenticated");
      }
      case "SelfSubjectAccessReview" -> {
        status.put("allowed", admin);
        if (!admin) {
          status.put("reason", "only cluster-admin is authorized in this cluster");
        }
      }
      case "SelfSubjectRulesReview" -> {
        ArrayNode resourceRules = status.putArray("resourceRules");
        ArrayNode nonResourceRules = status.putArray("nonResourceRules");
        if (admin) {
          ObjectNode r = resourceRules.addObject();
          r.putArray("verbs").add("*");
          r.putArray("apiGroups").add("*");
          r.putArray("resources").add("*");
          ObjectNode n = nonResourceRules.addObject();
          n.putArray("verbs").add("*");
          n.putArray("nonResourceURLs").add("*");
        }
        status.put("incomplete", false);
      }
      default -> throw ApiException.notFound(t, "");
    }
    return o;
  }
}
