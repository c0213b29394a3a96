package dev.metropolis.kubernetes.apiserver.registry;

import java.util.List;
import java.util.Set;

/**
 * One served kind, as data: where it lives in the URL space, how it is named and abbreviated,
 * whether it is namespaced, its subresources, the fabric8 model class its bodies must decode to,
 * the columns of its Table, its verbs, and whether it keeps {@code metadata.generation} (kinds
 * whose controllers report {@code status.observedGeneration}).
 */
public record ResourceType(
    String group,
    String version,
    String resource,
    String singular,
    String kind,
    boolean namespaced,
    List<String> shortNames,
    List<String> categories,
    Set<String> subresources,
    Class<?> model,
    List<Column> columns,
    List<String> verbs,
    boolean generation) {

  /** The verbs of a stored kind. */
  public static final List<String> VERBS =
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

  /** The verb of a review kind: created, answered, never stored. */
  public static final List<String> CREATE_ONLY = List.of("create");

  /** Whether objects of this kind are stored (reviews are only answered). */
  public boolean stored() {
    return verbs.contains("get");
  }

  /** {@code apps/v1}, or {@code v1} for the core group. */
  public String apiVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }

  /** {@code deployments.apps}, or {@code pods} for the core group: upstream's error wording. */
  public String qualifiedName() {
    return group.isEmpty() ? resource : resource + "." + group;
  }

  public String listKind() {
    return kind + "List";
  }

  public boolean hasStatus() {
    return subresources.contains("status");
  }

  /** The URL prefix of this kind's group version: {@code /api/v1} or {@code /apis/apps/v1}. */
  public String groupVersionPath() {
    return group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version;
  }
}
