package dev.metropolis.kubernetes.apiserver.api;

import dev.metropolis.kubernetes.apiserver.auth.Attributes;
import dev.metropolis.kubernetes.apiserver.auth.Authorizer;
import dev.metropolis.kubernetes.apiserver.auth.User;
import dev.metropolis.kubernetes.apiserver.registry.ResourceType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The self reviews every authenticated user may create: who am I (SelfSubjectReview), may I
 * (SelfSubjectAccessReview) and what may I do (SelfSubjectRulesReview). They are answered from the
 * caller's identity and never stored: an access review is judged by the same {@link Authorizer} as
 * the request it describes; the rules review lists everything for cluster-admin and nothing
 * (incomplete) for anyone else.
 */
final class Reviews {
  private Reviews() {}

  static ObjectNode answer(ResourceType t, User user, Authorizer authorizer, ObjectNode body) {
    boolean admin = authorizer.isAdmin(user);
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
        boolean allowed = admin || allows(authorizer, user, body.path("spec"));
        status.put("allowed", allowed);
        if (!allowed) {
          status.put(
              "reason", "only cluster-admin, and nodes for their own objects, are authorized");
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
        status.put("incomplete", !admin);
      }
      default -> throw ApiException.notFound(t, "");
    }
    return o;
  }

  /** A resource request in the review's spec, judged as the real request would be. */
  private static boolean allows(Authorizer authorizer, User user, JsonNode spec) {
    JsonNode ra = spec.path("resourceAttributes");
    if (!ra.isObject()) {
      return false;
    }
    return authorizer.allows(
        user,
        new Attributes(
            ra.path("verb").asString(""),
            ra.path("group").asString(""),
            ra.path("resource").asString(""),
            ra.path("subresource").asString(""),
            ra.path("namespace").asString(""),
            ra.path("name").asString("")));
  }
}
