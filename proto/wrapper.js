import $protobuf from "protobufjs/minimal.js";

// Strata keeps int64 fields (millisecond timestamps, byte counts) as JavaScript numbers: switch off
// protobufjs' Long support before the generated code reads its defaults.
$protobuf.util.Long = undefined;
$protobuf.configure();

$OUTPUT;

export {
  $DEFAULT_EXPORT$root as default
};
