"""Test double of ``knime.extension`` ("knext"), KNIME's API for Python node extensions.

Used by the test suite only when the real API (shipped with KNIME, not on PyPI) cannot be
imported. It is an independent implementation that mirrors the real API's observable
behaviour as seen in unit tests, i.e. after ``import knime.extension.testing`` (which,
as in the real API, installs the table and node backends: import it before any module
that calls ``knext.port_type`` or ``knext.Table.from_pandas``).

Covered: node/port decorators and ``PythonNode``, port objects and specs, ``port_type``,
``category``, the scalar/enum parameters and parameter groups, ``Schema``/``Column``/types,
``Table``/``BatchOutputTable`` and the contexts. Not covered: column, date/time, path and
array parameters, port groups, views, proxy settings, dialogs.
"""

import knime.api.schema as _ks
import knime.api.table as _kt
import knime.extension.nodes as _kn
import knime.extension.parameter as _kp
import knime.extension.version as _kv

# parameters
Version = _kv.Version
IntParameter = _kp.IntParameter
DoubleParameter = _kp.DoubleParameter
BoolParameter = _kp.BoolParameter
StringParameter = _kp.StringParameter
MultilineStringParameter = _kp.MultilineStringParameter
ColumnParameter = _kp.ColumnParameter
EnumParameter = _kp.EnumParameter
EnumParameterOptions = _kp.EnumParameterOptions
EnumSetParameter = _kp.EnumSetParameter
parameter_group = _kp.parameter_group
LayoutDirection = _kp.LayoutDirection
Effect = _kp.Effect
Condition = _kp.Condition
OneOf = _kp.OneOf
Contains = _kp.Contains
DialogContextCondition = _kp.DialogContextCondition
And = _kp.And
Or = _kp.Or

# nodes, ports and contexts
PythonNode = _kn.PythonNode
NodeType = _kn.NodeType
node = _kn.node
category = _kn.category
PortType = _kn.PortType
Port = _kn.Port
PortObject = _kn.PortObject
ConnectionPortObject = _kn.ConnectionPortObject
ViewDeclaration = _kn.ViewDeclaration
ImageFormat = _kn.ImageFormat
port_type = _kn.port_type
input_table = _kn.input_table
input_binary = _kn.input_binary
input_port = _kn.input_port
output_table = _kn.output_table
output_binary = _kn.output_binary
output_image = _kn.output_image
output_port = _kn.output_port
output_view = _kn.output_view
ConfigurationContext = _kn.ConfigurationContext
ExecutionContext = _kn.ExecutionContext
DialogCreationContext = _kn.DialogCreationContext
InvalidParametersError = _kn.InvalidParametersError
WorkflowExecutionError = _kn.WorkflowExecutionError

# tables
Table = _kt.Table
BatchOutputTable = _kt.BatchOutputTable

# schema and types
KnimeType = _ks.KnimeType
PrimitiveTypeId = _ks.PrimitiveTypeId
DictEncodingKeyType = _ks.DictEncodingKeyType
PrimitiveType = _ks.PrimitiveType
ListType = _ks.ListType
StructType = _ks.StructType
LogicalType = _ks.LogicalType
int32 = _ks.int32
int64 = _ks.int64
double = _ks.double
bool_ = _ks.bool_
string = _ks.string
blob = _ks.blob
null = _ks.null
list_ = _ks.list_
struct = _ks.struct
logical = _ks.logical
datetime = _ks.datetime
PortObjectSpec = _ks.PortObjectSpec
BinaryPortObjectSpec = _ks.BinaryPortObjectSpec
ImagePortObjectSpec = _ks.ImagePortObjectSpec
CredentialPortObjectSpec = _ks.CredentialPortObjectSpec
Column = _ks.Column
Schema = _ks.Schema
