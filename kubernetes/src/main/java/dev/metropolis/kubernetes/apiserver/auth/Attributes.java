package dev.metropolis.kubernetes.apiserver.auth;

/**
 * What a request wants to do, in upstream's authorization terms.
 *
 * @param verb get, list, watch, create, update, patch, delete or deletecollection
 * @param group API group ("" for the core group)
 * @param resource plural resource name, e.g. {@code nodes}
 * @param subresource e.g. {@code status}, or ""
 * @param namespace the namespace, or "" for cluster-scoped requests
 * @param name the object's name ("" for collections; for a create, the name in the body)
 */
public record Attributes(
    String verb,
    String group,
    String resource,
    String subresource,
    String namespace,
    String name) {}
