package dev.metropolis.kubernetes.apiserver.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * OpenAPI v3 schemas of the fabric8 model classes, by reflection over their Jackson properties (the
 * {@code @JsonProperty} fields): scalars with their types, lists as arrays, maps as objects with
 * {@code additionalProperties}, and every nested model as a {@code $ref} to its own entry in {@code
 * components.schemas}, named as upstream names it ({@code io.k8s.api.core.v1.PodSpec}, {@code
 * io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta}). fabric8 carries no descriptions, so there are
 * none; required fields come from a short table of upstream's, and the merge keys of lists from
 * {@link Patches#MERGE_KEYS} (kubectl takes them from its built-in types; a client without those,
 * e.g. for kinds it does not know, computes strategic merge patches from these).
 */
final class Schemas {
  private static final String MODEL = "io.fabric8.kubernetes.api.model";
  private static final String META = "io.k8s.apimachinery.pkg.apis.meta.v1.";

  /** fabric8 classes in the core package that upstream keeps in meta/v1. */
  private static final Set<String> META_KINDS =
      Set.of(
          "ObjectMeta",
          "ListMeta",
          "OwnerReference",
          "ManagedFieldsEntry",
          "LabelSelector",
          "LabelSelectorRequirement",
          "Condition",
          "Status",
          "StatusDetails",
          "StatusCause",
          "DeleteOptions",
          "Preconditions",
          "FieldsV1");

  /** Required properties of upstream's schemas, for the models the served kinds use most. */
  private static final Map<String, List<String>> REQUIRED =
      Map.ofEntries(
          Map.entry("Container", List.of("name")),
          Map.entry("EphemeralContainer", List.of("name")),
          Map.entry("ContainerPort", List.of("containerPort")),
          Map.entry("EnvVar", List.of("name")),
          Map.entry("Volume", List.of("name")),
          Map.entry("VolumeMount", List.of("name", "mountPath")),
          Map.entry("KeyToPath", List.of("key", "path")),
          Map.entry("PodSpec", List.of("containers")),
          Map.entry("ServicePort", List.of("port")),
          Map.entry("OwnerReference", List.of("apiVersion", "kind", "name", "uid")),
          Map.entry("LabelSelectorRequirement", List.of("key", "operator")),
          Map.entry("DeploymentSpec", List.of("selector", "template")),
          Map.entry("ReplicaSetSpec", List.of("selector")),
          Map.entry("StatefulSetSpec", List.of("selector", "template")),
          Map.entry("DaemonSetSpec", List.of("selector", "template")),
          Map.entry("JobSpec", List.of("template")),
          Map.entry("CronJobSpec", List.of("schedule", "jobTemplate")),
          Map.entry("RoleRef", List.of("apiGroup", "kind", "name")),
          Map.entry("Subject", List.of("kind", "name")),
          Map.entry("PolicyRule", List.of("verbs")),
          Map.entry("PriorityClass", List.of("value")));

  private Schemas() {}

  /** The upstream schema name of a model class. */
  static String name(Class<?> model) {
    String pkg = model.getPackageName();
    String simple = model.getSimpleName();
    if (model == IntOrString.class) {
      return "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
    }
    if (model == Quantity.class) {
      return "io.k8s.apimachinery.pkg.api.resource.Quantity";
    }
    if (pkg.equals(MODEL) && META_KINDS.contains(simple)) {
      return META + simple;
    }
    String rest =
        pkg.equals(MODEL) ? "core" : pkg.substring(Math.min(pkg.length(), MODEL.length() + 1));
    if (rest.isEmpty() || !pkg.startsWith(MODEL)) {
      rest = pkg.replace('.', '_');
    }
    if (!rest.matches(".*\\.v\\d+(\\w+)?")) {
      rest = rest + ".v1";
    }
    return "io.k8s.api." + rest + "." + simple;
  }

  /**
   * Adds the schema of {@code model} and of every model it refers to, transitively, to {@code
   * schemas} (skipping those already there), and returns the added entry of {@code model}.
   */
  static ObjectNode add(ObjectNode schemas, Class<?> model) {
    String name = name(model);
    if (schemas.get(name) instanceof ObjectNode existing) {
      return existing;
    }
    ObjectNode s = schemas.putObject(name);
    if (model == IntOrString.class) {
      s.put("type", "string").put("format", "int-or-string");
      s.put("x-kubernetes-int-or-string", true);
      return s;
    }
    if (model == Quantity.class) {
      s.put("type", "string");
      return s;
    }
    s.put("type", "object");
    ObjectNode props = s.putObject("properties");
    for (Class<?> c = model; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        JsonProperty p = f.getAnnotation(JsonProperty.class);
        if (p == null || Modifier.isStatic(f.getModifiers()) || props.has(p.value())) {
          continue;
        }
        ObjectNode ps = props.putObject(p.value());
        type(ps, schemas, f.getGenericType());
        String key = Patches.MERGE_KEYS.get(p.value());
        if (key != null && ps.path("type").asString("").equals("array") && hasProperty(f, key)) {
          ps.put("x-kubernetes-patch-merge-key", key);
          ps.put("x-kubernetes-patch-strategy", "merge");
        }
      }
    }
    List<String> required = new ArrayList<>();
    for (String r : REQUIRED.getOrDefault(model.getSimpleName(), List.of())) {
      if (props.has(r)) {
        required.add(r);
      }
    }
    if (!required.isEmpty()) {
      ArrayNode arr = s.putArray("required");
      required.forEach(arr::add);
    }
    return s;
  }

  /** Whether the list field's element type has a property {@code key}. */
  private static boolean hasProperty(Field list, String key) {
    if (!(list.getGenericType() instanceof ParameterizedType pt)
        || !(pt.getActualTypeArguments()[0] instanceof Class<?> element)) {
      return false;
    }
    return property(element, key) != null;
  }

  /** The model's field behind JSON property {@code name}, or null. */
  static Field property(Class<?> model, String name) {
    for (Class<?> c = model; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        JsonProperty p = f.getAnnotation(JsonProperty.class);
        if (p != null && p.value().equals(name)) {
          return f;
        }
      }
    }
    return null;
  }

  /** Fills {@code s} with the schema of a property of Java type {@code t}. */
  private static void type(ObjectNode s, ObjectNode schemas, Type t) {
    if (t instanceof ParameterizedType pt && pt.getRawType() instanceof Class<?> raw) {
      Type[] args = pt.getActualTypeArguments();
      if (List.class.isAssignableFrom(raw) || Set.class.isAssignableFrom(raw)) {
        s.put("type", "array");
        type(s.putObject("items"), schemas, args[0]);
        return;
      }
      if (Map.class.isAssignableFrom(raw)) {
        s.put("type", "object");
        type(s.putObject("additionalProperties"), schemas, args[1]);
        return;
      }
      type(s, schemas, raw);
      return;
    }
    if (!(t instanceof Class<?> c)) {
      open(s);
      return;
    }
    if (c == String.class) {
      s.put("type", "string");
    } else if (c == Integer.class || c == int.class) {
      s.put("type", "integer").put("format", "int32");
    } else if (c == Long.class || c == long.class) {
      s.put("type", "integer").put("format", "int64");
    } else if (c == Boolean.class || c == boolean.class) {
      s.put("type", "boolean");
    } else if (c == Double.class || c == double.class || c == Float.class || c == float.class) {
      s.put("type", "number").put("format", "double");
    } else if (c.isArray() && c.getComponentType() == byte.class) {
      s.put("type", "string").put("format", "byte");
    } else if (c.getName().startsWith(MODEL) && !c.isInterface() && !c.isEnum()) {
      add(schemas, c);
      s.put("$ref", "#/components/schemas/" + name(c));
    } else {
      open(s); // Object, JsonNode, raw extensions: anything goes
    }
  }

  private static void open(ObjectNode s) {
    s.put("type", "object").put("x-kubernetes-preserve-unknown-fields", true);
  }
}
