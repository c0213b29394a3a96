package dev.metropolis.kubernetes.apiserver.api;

import dev.metropolis.kubernetes.apiserver.registry.ResourceType;
import java.lang.reflect.Field;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.exc.MismatchedInputException;

/**
 * Upstream's wording for a body that does not fit its kind, so that kubectl prints what it prints
 * against a real API server: {@code Deployment in version "v1" cannot be handled as a Deployment:
 * json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32}.
 * The Go names are derived from the fabric8 model (struct = the model class holding the field, path
 * = the JSON field names without list indices, type = the Go type of the target).
 */
final class DecodeErrors {
  private DecodeErrors() {}

  static String message(ResourceType t, JsonNode body, JacksonException e) {
    String prefix =
        t.kind() + " in version \"" + t.version() + "\" cannot be handled as a " + t.kind() + ": ";
    List<String> fields = new ArrayList<>();
    String struct = null;
    Type target = e instanceof MismatchedInputException m ? m.getTargetType() : null;
    JsonNode value = body;
    for (JacksonException.Reference r : e.getPath()) {
      if (r.getPropertyName() != null) {
        fields.add(r.getPropertyName());
        Class<?> holder = r.from() instanceof Class<?> c ? c : r.from().getClass();
        struct = holder.getSimpleName();
        Field f = Schemas.property(holder, r.getPropertyName());
        if (f != null) {
          target = f.getGenericType();
        }
        value = value.path(r.getPropertyName());
      } else if (r.getIndex() >= 0) {
        value = value.path(r.getIndex());
      }
    }
    if (!(e instanceof MismatchedInputException) || struct == null || value.isMissingNode()) {
      return prefix + e.getOriginalMessage();
    }
    return prefix
        + "json: cannot unmarshal "
        + jsonType(value)
        + " into Go struct field "
        + struct
        + "."
        + String.join(".", fields)
        + " of type "
        + goType(target);
  }

  private static String jsonType(JsonNode v) {
    if (v.isString()) {
      return "string";
    }
    if (v.isNumber()) {
      return "number";
    }
    if (v.isBoolean()) {
      return "bool";
    }
    return v.isArray() ? "array" : "object";
  }

  private static String goType(Type t) {
    if (t instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw) {
      Type[] args = p.getActualTypeArguments();
      if (Map.class.isAssignableFrom(raw)) {
        return "map[string]" + goType(args[1]);
      }
      if (Collection.class.isAssignableFrom(raw)) {
        return "[]" + goType(args[0]);
      }
      return goType(raw);
    }
    if (!(t instanceof Class<?> c) || c == Object.class) {
      return "interface {}";
    }
    if (c == Integer.class || c == int.class) {
      return "int32";
    }
    if (c == Long.class || c == long.class) {
      return "int64";
    }
    if (c == Boolean.class || c == boolean.class) {
      return "bool";
    }
    if (c == Double.class || c == double.class) {
      return "float64";
    }
    if (c == String.class) {
      return "string";
    }
    return "v1." + c.getSimpleName();
  }
}
