"""Behaviour of the knext API surface this project relies on.

These tests pass on KNIME's real ``knime.extension`` *and* on the test double in
``tests/knime_double``: they pin down the behaviour the double must mirror. Run them
against either by putting one or the other on ``PYTHONPATH``.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import knime.extension as knext
import knime.extension.testing as ktest  # installs the testing backends
import pandas as pd
import pyarrow as pa
import pytest
from knime.extension import parameter as kp
from knime.extension.nodes import Credential
from knime_fidelity import write_output

# ---------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------


class Colour(knext.EnumParameterOptions):
    RED = ("Red", "Like a tomato.")
    GREEN = ("Green", "Like grass.")
    BLUE = ("Blue", "Like the sky.")


class Settings:
    count = knext.IntParameter("Count", "How many.", 5, min_value=0, max_value=10)
    ratio = knext.DoubleParameter("Ratio", "A share.", 0.5, min_value=0.0, max_value=1.0)
    flag = knext.BoolParameter("Flag", "On or off.", True)
    text = knext.StringParameter("Text", "Some text.", "hello")
    notes = knext.MultilineStringParameter("Notes", "Long text.", "a\nb", number_of_lines=5)
    colour = knext.EnumParameter("Colour", "One colour.", Colour.GREEN.name, Colour)
    colours = knext.EnumSetParameter("Colours", "Colours.", [Colour.RED.name], Colour)
    later = knext.StringParameter("Later", "Added in 1.2.0.", "new", since_version="1.2.0")


def test_parameter_defaults_per_class_and_instance():
    assert isinstance(Settings.count, knext.IntParameter)  # the class holds the descriptor
    assert Settings.count.min_value == 0 and Settings.count.max_value == 10
    assert Settings.count.__doc__ == "How many."
    a, b = Settings(), Settings()
    assert (a.count, a.ratio, a.flag, a.text, a.notes) == (5, 0.5, True, "hello", "a\nb")
    assert (a.colour, a.colours) == ("GREEN", ["RED"])
    a.count = 7
    a.text = "changed"
    assert (a.count, a.text) == (7, "changed")
    assert (b.count, b.text) == (5, "hello")
    assert Settings().count == 5


@pytest.mark.parametrize(
    ("name", "value", "error", "message"),
    [
        ("count", 11, ValueError, "11 is > the max value 10"),
        ("count", -1, ValueError, "-1 is smaller than the minimal value 0"),
        ("count", 1.5, TypeError, "should be of type int"),
        ("ratio", 2, ValueError, "2 is > the max value 1.0"),
        ("ratio", "x", TypeError, "should be a number"),
        ("flag", 1, TypeError, "1 is not a boolean"),
        ("text", 3, TypeError, "should be of type string"),
        ("notes", None, TypeError, "should be of type string"),
    ],
)
def test_assignment_is_validated_at_once_and_keeps_the_old_value(name, value, error, message):
    settings = Settings()
    before = getattr(settings, name)
    with pytest.raises(error, match=message):
        setattr(settings, name, value)
    assert getattr(settings, name) == before


def test_numeric_type_checks_are_lenient():
    settings = Settings()
    settings.count = True  # bool is an int
    settings.ratio = 1  # ints are numbers, kept as int
    assert settings.count is True and settings.ratio == 1 and isinstance(settings.ratio, int)


def test_custom_validator_replaces_the_built_in_checks():
    class Node:
        n = knext.IntParameter("N", "n", 1, min_value=0, max_value=10)

        @n.validator
        def _no_seven(value):
            if value == 7:
                raise ValueError("no 7")

        s = knext.StringParameter("S", "s", "x", validator=lambda v: None)

    assert Node.__dict__["_no_seven"] is None  # the decorator returns None
    node = Node()
    with pytest.raises(ValueError, match="no 7"):
        node.n = 7
    node.n = 99  # min/max are no longer checked
    node.s = 42  # neither is the type
    assert (node.n, node.s) == (99, 42)


def test_string_enum_and_choices_only_pick_the_default():
    class Node:
        by_enum = knext.StringParameter("E", "e", enum=["p", "q"])
        by_static = knext.StringParameter("S", "s", choices=["x", "y"])
        by_callable = knext.StringParameter("C", "c", choices=lambda ctx: ["a", "b"])

    node = Node()
    assert (node.by_enum, node.by_static, node.by_callable) == ("p", "x", "")
    node.by_enum = "not listed"  # no restriction
    assert node.by_enum == "not listed"
    with pytest.raises(TypeError):
        knext.StringParameter("S", "s", enum="pq")
    with pytest.raises(ValueError):
        knext.StringParameter("S", "s", enum=["a"], choices=lambda ctx: ["a"])
    with pytest.raises(ValueError):
        knext.MultilineStringParameter("M", "m", number_of_lines=0)


def test_enum_options():
    assert Colour.RED.name == "RED"
    assert Colour.RED.value == ("Red", "Like a tomato.")
    assert (Colour.RED.label, Colour.RED.description) == ("Red", "Like a tomato.")
    assert Colour.get_all_options() == ["RED", "GREEN", "BLUE"]


def test_enum_parameter_stores_option_names():
    class Node:
        by_member = knext.EnumParameter("M", "m", Colour.BLUE, Colour)
        without_enum = knext.EnumParameter("W", "w")

        @by_member.validator
        def _not_red(value):
            if value == "RED":
                raise ValueError("no red")

    node = Node()
    # a member default: KNIME 5.9+ stores it by name, 5.8 keeps the member (so the nodes
    # always give option names as defaults)
    assert node.by_member in ("BLUE", Colour.BLUE)
    assert node.without_enum == "DEFAULT_OPTION"
    node.by_member = "GREEN"
    assert node.by_member == "GREEN"
    with pytest.raises(ValueError, match="no red"):
        node.by_member = "RED"
    with pytest.raises(ValueError, match="is not one of the available options: 'RED'"):
        node.by_member = "PURPLE"  # the option check stays with a custom validator
    with pytest.raises(ValueError):
        node.by_member = Colour.GREEN  # members are not accepted, only names


def test_enum_parameter_pitfalls_of_the_real_api():
    with pytest.raises(AttributeError):
        knext.EnumParameter("E", "e", "RED", Colour, validator=lambda v: None)
    with pytest.raises(AttributeError):
        knext.EnumParameter("E", "e", enum=Colour)  # no default_value


def test_enum_set_parameter():
    class Node:
        all_by_default = knext.EnumSetParameter("A", "a", enum=Colour)
        checked = knext.EnumSetParameter("C", "c", [], Colour, validator=lambda v: None)

    node = Node()
    assert node.all_by_default == ["RED", "GREEN", "BLUE"]
    node.all_by_default = ["BLUE"]
    assert node.all_by_default == ["BLUE"]
    with pytest.raises(TypeError, match="is not a list"):
        node.all_by_default = "BLUE"
    with pytest.raises(ValueError, match="not a subset"):
        node.checked = ["PURPLE"]  # a custom validator keeps the option check


@knext.parameter_group(label="Inner")
class Inner:
    on = knext.BoolParameter("On", "on", False)


@knext.parameter_group(label="Advanced", since_version="1.1.0")
class Advanced:
    """Advanced settings."""

    size = knext.IntParameter("Size", "size", 0, max_value=50)
    inner = Inner()

    def __init__(self, size=2):
        self.size = size

    def validate(self, values):
        if values["size"] == 13:
            raise ValueError("unlucky")


class GroupedNode:
    name = knext.StringParameter("Name", "name", "n")
    advanced = Advanced(size=7)
    plain = Advanced()


def test_parameter_groups_hold_values_per_node():
    a, b = GroupedNode(), GroupedNode()
    assert (a.advanced.size, a.plain.size, a.advanced.inner.on) == (7, 2, False)
    a.advanced.size = 9
    a.advanced.inner.on = True
    assert (a.advanced.size, a.advanced.inner.on) == (9, True)
    assert (b.advanced.size, b.advanced.inner.on) == (7, False)
    assert isinstance(a.advanced, Advanced)
    assert GroupedNode.__dict__["advanced"].__doc__ == "Advanced settings."
    with pytest.raises(ValueError, match="max value 50"):
        a.advanced.size = 51
    a.advanced.size = 13  # the group's validate() only runs in validate_parameters
    with pytest.raises(RuntimeError):
        a.advanced = Advanced()
    with pytest.raises(AttributeError):
        _ = GroupedNode.advanced  # a group can't be read from the class
    with pytest.raises(SyntaxError):

        @knext.parameter_group("Bad")
        class Bad:
            def __init__(self, validator=None):
                pass

        Bad()


def test_extract_parameters_gives_the_saved_settings_shape():
    node = GroupedNode()
    node.advanced.size = 3
    assert kp.extract_parameters(node) == {
        "model": {
            "name": "n",
            "advanced": {"size": 3, "inner": {"on": False}},
            "plain": {"size": 2, "inner": {"on": False}},
        }
    }
    assert kp.extract_parameters(Settings())["model"]["colours"] == ["RED"]


def test_inject_parameters_validates_and_keeps_missing_values():
    node = GroupedNode()
    kp.inject_parameters(node, {"model": {"name": "x", "advanced": {"size": 4}}}, "1.1.0")
    assert (node.name, node.advanced.size, node.advanced.inner.on) == ("x", 4, False)
    assert node.plain.size == 2  # absent, not newer than the saved version: untouched
    with pytest.raises(ValueError):
        kp.inject_parameters(node, {"model": {"advanced": {"size": 99}}})
    assert node.advanced.size == 4
    with pytest.raises(KeyError):
        kp.inject_parameters(node, {"name": "no model key"})


def test_inject_resets_parameters_newer_than_the_saved_settings():
    node = GroupedNode()
    node.advanced.size = 9
    kp.inject_parameters(node, {"model": {"name": "old"}}, "1.0.0")
    # the group came with 1.1.0: its parameters get their declared defaults (not __init__'s)
    assert (node.name, node.advanced.size, node.plain.size) == ("old", 0, 0)

    class Versioned:
        x = knext.IntParameter(
            "X", "x", lambda version: 1 if version < knext.Version(2, 0, 0) else 2
        )
        added = knext.IntParameter(
            "A",
            "a",
            lambda version: 10 if version < knext.Version(2, 0, 0) else 20,
            since_version="2.0.0",
        )

    versioned = Versioned()
    kp.inject_parameters(versioned, {"model": {"x": 5}}, "1.5.0")
    assert (versioned.x, versioned.added) == (5, 10)


def test_validate_parameters():
    good = {
        "model": {
            "name": "n",
            "advanced": {"size": 1, "inner": {"on": True}},
            "plain": {"size": 1, "inner": {"on": True}},
        }
    }
    kp.validate_parameters(GroupedNode(), good, "1.1.0")
    bad_value = {"model": {**good["model"], "advanced": {"size": 77, "inner": {"on": True}}}}
    with pytest.raises(ValueError, match="max value"):
        kp.validate_parameters(GroupedNode(), bad_value, "1.1.0")
    group_rule = {"model": {**good["model"], "plain": {"size": 13, "inner": {"on": True}}}}
    with pytest.raises(ValueError, match="unlucky"):
        kp.validate_parameters(GroupedNode(), group_rule, "1.1.0")
    with pytest.raises(ValueError, match='Parameter missing for key "plain"'):
        kp.validate_parameters(
            GroupedNode(), {"model": {"name": "n", "advanced": good["model"]["advanced"]}}, "1.1.0"
        )
    # settings saved before the group existed don't need it
    kp.validate_parameters(GroupedNode(), {"model": {"name": "n"}}, "1.0.0")
    kp.validate_parameters(
        Settings(), {"model": kp.extract_parameters(Settings())["model"]}, "1.2.0"
    )
    with pytest.raises(ValueError, match='"later"'):
        settings = kp.extract_parameters(Settings())["model"]
        del settings["later"]
        kp.validate_parameters(Settings(), {"model": settings}, "1.2.0")


def test_group_validator_from_the_parent():
    class Overriding:
        group = Advanced()

        @group.validator
        def _check(values):
            if values["size"] == 5:
                raise ValueError("no 5")

    class Adding:
        group = Advanced()

        @group.validator(override=False)
        def _check(values):
            if values["size"] == 5:
                raise ValueError("no 5")

    def settings(size):
        return {"model": {"group": {"size": size, "inner": {"on": False}}}}

    kp.validate_parameters(Overriding(), settings(13), "1.1.0")  # validate() is replaced
    with pytest.raises(ValueError, match="no 5"):
        kp.validate_parameters(Overriding(), settings(5), "1.1.0")
    with pytest.raises(ValueError, match="unlucky"):
        kp.validate_parameters(Adding(), settings(13), "1.1.0")
    with pytest.raises(ValueError, match="no 5"):
        kp.validate_parameters(Adding(), settings(5), "1.1.0")


def test_parameter_order_follows_the_class_hierarchy():
    class Base:
        a = knext.IntParameter("A", "a", 1)
        b = knext.IntParameter("B", "b", 2)

    class Child(Base):
        c = knext.IntParameter("C", "c", 3)
        a = knext.IntParameter("A2", "a2", 4)

    assert list(kp.extract_parameters(Child())["model"].items()) == [("c", 3), ("a", 4), ("b", 2)]


def test_rules_and_layout_are_accepted():
    class Node:
        mode = knext.StringParameter("Mode", "mode", "x")
        extra = knext.IntParameter("Extra", "extra", 1).rule(
            knext.OneOf(mode, ["y"]), knext.Effect.SHOW
        )

    assert isinstance(Node.extra, knext.IntParameter) and Node().extra == 1
    assert knext.LayoutDirection.HORIZONTAL.value == "HorizontalLayout"


def test_version():
    assert knext.Version.parse_version("1.2.3") == knext.Version(1, 2, 3) == (1, 2, 3)
    assert knext.Version.parse_version(None) == (0, 0, 0)
    assert str(knext.Version(1, 2, 3)) == repr(knext.Version(1, 2, 3)) == "1.2.3"
    with pytest.raises(ValueError):
        knext.Version.parse_version("1.2")


# ---------------------------------------------------------------------------------------
# Nodes, ports and port objects
# ---------------------------------------------------------------------------------------


class SampleSpec(knext.PortObjectSpec):
    def __init__(self, info: str) -> None:
        self.info = info

    def serialize(self) -> dict:
        return {"info": self.info}

    @classmethod
    def deserialize(cls, data: dict, java_callback=None) -> SampleSpec:
        return cls(data["info"])


class SamplePortObject(knext.PortObject):
    def __init__(self, spec: SampleSpec, payload: str) -> None:
        super().__init__(spec)
        self.payload = payload

    def serialize(self) -> bytes:
        return self.payload.encode()

    @classmethod
    def deserialize(cls, spec: SampleSpec, storage: bytes) -> SamplePortObject:
        return cls(spec, storage.decode())


class SampleConnection(knext.ConnectionPortObject):
    def to_connection_data(self):
        return {"live": True}

    @classmethod
    def from_connection_data(cls, spec, data):
        return cls(spec)


sample_port_type = knext.port_type("Sample", SamplePortObject, SampleSpec, id="test.sample")
CATEGORY = knext.category("/community", "knext_double_tests", "Tests", "Test nodes.", "icon.png")


def test_port_type_returns_none_under_testing_and_builtin_port_types_are_strings():
    assert sample_port_type is None
    assert knext.port_type("Conn", SampleConnection, SampleSpec) is None
    assert knext.PortType.TABLE == "PortType.TABLE"
    assert knext.PortType.BINARY == "PortType.BINARY"
    assert knext.PortType.CREDENTIAL == "PortType.CREDENTIAL"
    with pytest.raises(TypeError):
        knext.Port(knext.PortType.BINARY, "b", "binary without id")


def test_category_returns_its_path():
    assert CATEGORY == "/community/knext_double_tests"
    assert knext.category("/community/", "x", "X", "x", "i.png") == "/community/x"


def test_node_types():
    assert [t.value for t in knext.NodeType] == [
        "Source",
        "Sink",
        "Learner",
        "Predictor",
        "Manipulator",
        "Visualizer",
        "Other",
    ]


def test_port_object_and_spec_round_trip():
    spec = SampleSpec("about")
    assert SampleSpec.deserialize(spec.serialize()).info == "about"
    assert SampleSpec.deserialize(spec.serialize(), java_callback=None).info == "about"
    port_object = SamplePortObject(spec, "payload")
    assert port_object.spec is spec
    restored = SamplePortObject.deserialize(spec, port_object.serialize())
    assert restored.payload == "payload" and restored.spec is spec
    connection = SampleConnection(spec)
    assert connection.spec is spec and connection.to_connection_data() == {"live": True}
    with pytest.raises(NotImplementedError):
        connection.serialize()
    with pytest.raises(TypeError):
        knext.PortObjectSpec()
    with pytest.raises(TypeError):
        knext.PortObject(spec)


def test_builtin_specs_serialize():
    assert knext.BinaryPortObjectSpec("x.y").serialize() == {"id": "x.y"}
    assert knext.ImagePortObjectSpec(knext.ImageFormat.SVG).serialize() == {"format": "svg"}
    restored = knext.CredentialPortObjectSpec.deserialize({"data": "<xml/>"})
    assert restored.serialize() == {"data": "<xml/>"}


def _make_sample_node():
    created = []

    @knext.node("Sample Node", knext.NodeType.MANIPULATOR, "icon.png", CATEGORY, keywords=["k"])
    @knext.input_table("Input", "The input table.")
    @knext.input_port("Sample in", "A sample port.", sample_port_type)
    @knext.output_table("Output", "The output table.")
    @knext.output_port("Sample out", "A sample port.", sample_port_type)
    class KnextDoubleSampleNode(knext.PythonNode):
        """A node."""

        factor = knext.IntParameter("Factor", "factor", 2)

        def __init__(self):
            created.append(self)

        def configure(self, config_context, schema, spec):
            return schema.append(knext.Column(knext.string(), "added")), spec

        def execute(self, exec_context, table, port_object):
            return table, port_object

    return KnextDoubleSampleNode, created


def test_node_decorator_returns_a_factory_function():
    factory, created = _make_sample_node()
    assert len(created) == 3  # the decorator instantiates the class to find ports and view
    assert not isinstance(factory, type)
    assert not hasattr(factory, "factor")
    node = factory()
    assert len(created) == 4 and isinstance(node, knext.PythonNode)
    assert node.factor == 2
    node.factor = 3
    assert factory().factor == 2


def test_node_instances_carry_their_ports():
    factory, _ = _make_sample_node()
    node = factory()
    assert [(p.name, p.type) for p in node.input_ports] == [
        ("Input", knext.PortType.TABLE),
        ("Sample in", None),
    ]
    assert [(p.name, p.description, p.type) for p in node.output_ports] == [
        ("Output", "The output table.", knext.PortType.TABLE),
        ("Sample out", "A sample port.", None),
    ]
    assert isinstance(node.output_ports[0], knext.Port)
    assert node.output_view is None


def test_configure_and_execute_results_are_materialised():
    factory, _ = _make_sample_node()
    node = factory()
    schema = knext.Schema.from_columns([knext.Column(knext.int64(), "a")])
    spec = SampleSpec("s")
    result = node.configure(ktest.TestingConfigurationContext(), schema, spec)
    assert isinstance(result, list)  # tuples become lists
    assert result[0] == knext.Schema.from_columns(
        [knext.Column(knext.int64(), "a"), knext.Column(knext.string(), "added")]
    )
    assert result[1] is spec
    table = knext.Table.from_pandas(pd.DataFrame({"a": [1, 2]}))
    outputs = node.execute(ktest.TestingExecutionContext(), table, SamplePortObject(spec, "x"))
    assert isinstance(outputs, list) and outputs[0] is table


def test_node_registration_records_metadata():
    from knime.extension import nodes  # private registry, same shape in both

    _make_sample_node()
    info = nodes._nodes["KnextDoubleSampleNode"].to_dict()
    assert (info["name"], info["node_type"], info["category"]) == (
        "Sample Node",
        "Manipulator",
        "/community/knext_double_tests",
    )
    assert info["keywords"] == ["k"]
    assert [(p["name"], p["type_string"]) for p in info["output_port_specifier"]] == [
        ("Output", "PortType.TABLE"),
        ("Sample out", "None"),
    ]


def test_node_decorator_rejects_what_the_real_one_rejects():
    with pytest.raises(TypeError):

        @knext.node("Incomplete", knext.NodeType.OTHER, "i.png", CATEGORY)
        class KnextDoubleIncomplete(knext.PythonNode):  # no execute: fails at decoration
            def configure(self, config_context):
                return None

    @knext.node("Composed", knext.NodeType.OTHER, "i.png", CATEGORY)
    class KnextDoubleComposed:
        def __init__(self):
            self.instance_param = knext.IntParameter("P", "p", 1)

        def configure(self, config_context):
            return None

        def execute(self, exec_context):
            return None

    with pytest.raises(AttributeError):
        KnextDoubleComposed()

    with pytest.raises(ValueError):

        @knext.output_table("Out", "out")
        class KnextDoubleOwnPorts:
            output_ports: ClassVar[list] = []


def test_plain_classes_work_as_nodes():
    @knext.node("Plain", knext.NodeType.SOURCE, "i.png", CATEGORY)
    @knext.output_port("Out", "out", sample_port_type)
    class KnextDoublePlain:
        value = knext.StringParameter("V", "v", "x")

        def configure(self, config_context):
            return SampleSpec(self.value)

        def execute(self, exec_context):
            return SamplePortObject(SampleSpec(self.value), self.value)

    node = KnextDoublePlain()
    assert node.configure(ktest.TestingConfigurationContext()).info == "x"
    assert node.execute(ktest.TestingExecutionContext()).payload == "x"
    assert node.input_ports == []


def test_invalid_parameters_error():
    error = knext.InvalidParametersError("bad setting")
    assert isinstance(error, Exception) and str(error) == "bad setting"


# ---------------------------------------------------------------------------------------
# Types, columns and schemas
# ---------------------------------------------------------------------------------------


def test_types():
    assert knext.int32() is knext.int32()
    assert knext.string() is not knext.string(knext.DictEncodingKeyType.INT)
    assert [str(t) for t in (knext.int32(), knext.int64(), knext.double(), knext.bool_())] == [
        "Number (Integer)",
        "Number (Long Integer)",
        "Number (Float)",
        "Boolean",
    ]
    assert str(knext.string()) == "String"
    assert repr([knext.string()]) == "[String]"
    assert knext.list_(knext.string()) == knext.list_(knext.string())
    assert knext.list_(knext.int32()) != knext.list_(knext.int64())
    assert str(knext.list_(knext.string())) == "List (Collection of: String)"
    assert str(knext.struct(knext.int32(), knext.string())) == "struct<Number (Integer), String>"
    assert str(knext.string(knext.DictEncodingKeyType.INT)) == "String[dict_encoding=INT_KEY]"
    with pytest.raises(TypeError):
        knext.logical(str)  # no Python value types are registered in tests
    # the date&time value factories are registered as KNIME does (conftest)
    zoned = knext.datetime(date=True, time=True, timezone=True)
    assert zoned == knext.datetime(date=True, time=True, timezone=True)
    assert zoned != knext.datetime() and zoned.storage_type != knext.string()
    with pytest.raises(ValueError):
        knext.datetime(date=False, time=False)


def test_columns():
    column = knext.Column(knext.string(), "name", {"m": 1})
    assert (column.ktype, column.name, column.metadata) == (knext.string(), "name", {"m": 1})
    assert str(column) == "Column<'name', String, {'m': 1}>"
    assert knext.Column(knext.int32(), "a") == knext.Column(knext.int32(), "a", None)
    assert knext.Column(knext.int32(), "a") != knext.Column(knext.int32(), "a", {})
    assert knext.Column(knext.int32(), "a") != knext.Column(knext.int64(), "a")
    with pytest.raises(ValueError):
        knext.Column(knext.int32(), "  ")
    with pytest.raises(TypeError):
        knext.Column(knext.int32(), 3)
    with pytest.raises(TypeError):
        knext.Column(int, "a")


def _schema():
    return knext.Schema.from_columns(
        [knext.Column(knext.int64(), "a"), knext.Column(knext.string(), "b")]
    )


def test_schema_basics():
    schema = _schema()
    assert schema == _schema() and schema != knext.Schema.from_columns([])
    assert schema.column_names == ["a", "b"] and schema.num_columns == 2
    assert [c.name for c in schema] == ["a", "b"]
    assert "a" in schema and knext.Column(knext.double(), "b") in schema and "z" not in schema
    assert knext.Schema.from_columns(knext.Column(knext.int32(), "x")).column_names == ["x"]
    assert knext.Schema.from_types([knext.int32()], ["x"]).column_names == ["x"]
    assert (
        str(schema)
        == repr(schema)
        == ("Schema<\n\tColumn<'a', Number (Long Integer)>,\n\tColumn<'b', String>>")
    )
    with pytest.raises(TypeError):
        knext.Schema.from_columns([1])
    with pytest.raises(TypeError):
        knext.Schema.from_columns(5)


def test_schema_operations_are_lazy_views():
    schema = _schema()
    column = schema["b"]
    assert column.get() == knext.Column(knext.string(), "b")
    assert column.ktype == knext.string()  # attributes pass through the view
    assert schema[0].name == "a" and schema[-1].name == "b"
    extended = schema.append(knext.Column(knext.double(), "c"))
    expected = knext.Schema.from_columns(
        [
            knext.Column(knext.int64(), "a"),
            knext.Column(knext.string(), "b"),
            knext.Column(knext.double(), "c"),
        ]
    )
    assert extended == expected  # the view compares by its result ...
    assert expected != extended  # ... but a Schema never equals a view
    assert extended.get() == expected
    assert extended.column_names == ["a", "b", "c"]
    assert schema.insert(knext.Column(knext.bool_(), "z"), at=0).column_names == ["z", "a", "b"]
    assert schema.remove("a").column_names == ["b"]
    assert schema.remove(0).column_names == ["b"]
    assert schema[["b", "a"]].column_names == ["b", "a"]
    assert schema[1:].column_names == ["b"]
    with pytest.raises(IndexError):
        schema[5]
    with pytest.raises(IndexError):
        schema["zz"].get()
    with pytest.raises(ValueError):
        schema.remove("zz")


def test_schema_serialization():
    schema = knext.Schema.from_columns(
        [knext.Column(knext.int64(), "a"), knext.Column(knext.list_(knext.string()), "l", {"m": 1})]
    )

    def factory(name):
        return '{"value_factory_class":"org.knime.core.data.v2.value.' + name + '"}'

    assert schema.serialize() == {
        "schema": {
            "specs": ("string", "long", {"type": "list", "inner_type": "string"}),
            "traits": (
                {
                    "traits": {"logical_type": factory("DefaultRowKeyValueFactory")},
                    "type": "simple",
                },
                {"traits": {"logical_type": factory("LongValueFactory")}, "type": "simple"},
                {
                    "traits": {"logical_type": factory("StringListValueFactory")},
                    "type": "list",
                    "inner": {"traits": {}, "type": "simple"},
                },
            ),
        },
        "columnNames": ["RowKey", "a", "l"],
        "columnMetaData": [None, None, {"m": 1}],
    }
    assert knext.Schema.deserialize(schema.serialize()) == schema
    with pytest.raises(RuntimeError):
        knext.Schema.from_columns(
            [knext.Column(knext.int64(), "a"), knext.Column(knext.string(), "a")]
        ).serialize()


# ---------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------


def test_table_from_pandas_makes_the_index_the_row_ids():
    df = pd.DataFrame({"i": [1, 2, 3], "s": pd.Series(["x", None, "z"], dtype=object)})
    table = knext.Table.from_pandas(df)
    df.loc[0, "i"] = 99
    assert table.to_pandas()["i"].tolist() == [1, 2, 3]
    assert list(table.to_pandas().index) == ["Row0", "Row1", "Row2"]
    assert isinstance(table, knext.Table)
    assert (table.num_rows, table.num_columns, table.shape) == (3, 2, (2, 3))
    assert list(table.column_names) == ["i", "s"]
    assert table.schema == knext.Schema.from_columns(
        [knext.Column(knext.int64(), "i"), knext.Column(knext.string(), "s")]
    )
    arrow = table.to_pyarrow()
    assert arrow.schema.names[0] == "<RowID>" and arrow["<RowID>"].to_pylist()[0] == "Row0"


def test_table_from_pyarrow_keeps_a_string_row_id_column():
    data = pa.table({"<RowID>": ["a", "b"], "n": pa.array([1, None], pa.int32())})
    table = knext.Table.from_pyarrow(data)
    assert list(table.to_pandas().index) == ["a", "b"]
    assert table.schema == knext.Schema.from_columns([knext.Column(knext.int32(), "n")])
    generated = knext.Table.from_pyarrow(pa.table({"n": pa.array([7], pa.int64())}))
    assert list(generated.to_pandas().index) == ["Row0"]


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        (pd.Series([1], dtype="int32"), knext.int32()),
        (pd.Series([1.5]), knext.double()),
        (pd.Series([True]), knext.bool_()),
        (pd.Series([], dtype="int64"), knext.int64()),
        (pd.Series(["a", None], dtype=object), knext.string()),
    ],
)
def test_table_schema_from_pandas(series, expected):
    table = knext.Table.from_pandas(pd.DataFrame({"c": series}))
    assert table.schema == knext.Schema.from_columns([knext.Column(expected, "c")])


@pytest.mark.parametrize(
    ("arrow_type", "expected"),
    [
        (pa.string(), knext.string()),
        (pa.int32(), knext.int32()),
        (pa.int64(), knext.int64()),
        (pa.float64(), knext.double()),
        (pa.bool_(), knext.bool_()),
        (pa.timestamp("us", tz="UTC"), knext.datetime(date=True, time=True, timezone=True)),
    ],
)
def test_declared_arrow_type_survives_all_missing_cells(arrow_type, expected):
    data = pa.table({"<RowID>": ["Row0"], "c": pa.array([None], arrow_type)})
    table = knext.Table.from_pyarrow(data)
    assert table.schema == knext.Schema.from_columns([knext.Column(expected, "c")])
    write_output(table)


def test_all_missing_cells_without_a_type_are_void_not_string():
    """Defect 2 of issue 9: such a column is not what configure() declared."""
    table = knext.Table.from_pandas(pd.DataFrame({"c": pd.Series([None], dtype=object)}))
    assert table.schema == knext.Schema.from_columns([knext.Column(knext.null(), "c")])
    assert table.schema != knext.Schema.from_columns([knext.Column(knext.string(), "c")])


def test_arrow_types_knime_cannot_store_fail():
    data = pa.table({"<RowID>": ["Row0"], "c": pa.array(["x"], pa.large_string())})
    with pytest.raises((TypeError, ValueError)):
        table = knext.Table.from_pyarrow(data)
        _ = table.schema
        write_output(table)


def test_table_limits():
    with pytest.raises(TypeError):
        knext.Table()


# ---------------------------------------------------------------------------------------
# Contexts
# ---------------------------------------------------------------------------------------


def test_testing_configuration_context():
    context = ktest.TestingConfigurationContext()
    assert isinstance(context, knext.ConfigurationContext)
    assert not isinstance(context, knext.ExecutionContext)
    context.flow_variables["x"] = 1
    assert context.flow_variables == {"x": 1}
    assert ktest.TestingConfigurationContext().flow_variables == {}
    assert context.set_warning("ignored") is None
    with pytest.raises(RuntimeError):
        context.get_credential_names()
    with pytest.raises(RuntimeError):
        context.get_credentials("name")
    with pytest.raises(TypeError):
        ktest.TestingConfigurationContext({"x": 1})


def test_testing_execution_context():
    context = ktest.TestingExecutionContext()
    assert isinstance(context, knext.ExecutionContext)
    assert isinstance(context, knext.ConfigurationContext)
    assert context.is_canceled() is False
    assert context.set_progress(0.5, "half") is None
    assert context.set_progress(7) is None  # no checks in tests
    assert context.set_warning("ignored") is None
    for method in (
        context.get_credential_names,
        context.get_workflow_temp_dir,
        context.get_workflow_data_area_dir,
        context.get_knime_home_dir,
    ):
        with pytest.raises(RuntimeError):
            method()


def test_testing_contexts_can_be_given_credentials():
    class WithCredentials(ktest.TestingExecutionContext):
        def get_credential_names(self):
            return ["openai"]

        def get_credentials(self, identifier):
            return Credential("user", "sk-test", identifier)

    context = WithCredentials()
    assert context.get_credential_names() == ["openai"]
    credential = context.get_credentials("openai")
    assert credential == Credential("user", "sk-test", "openai")
    assert (credential.username, credential.password, credential.credential_name) == (
        "user",
        "sk-test",
        "openai",
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        credential.password = "other"


class FakeJavaContext:
    def __init__(self):
        self.calls = []

    def get_credential_names(self):
        return iter(["c1"])

    def get_credentials(self, identifier):
        return ["u", "p", identifier]

    def set_warning(self, message):
        self.calls.append(("warning", message))

    def set_progress(self, *args):
        self.calls.append(("progress", *args))

    def is_canceled(self):
        return True

    def get_workflow_dir(self):
        return "/wf"

    def get_input_specs(self):
        return ["spec"]

    def get_input_port_map(self):
        return {}


def test_knime_contexts_talk_to_java():
    java = FakeJavaContext()
    context = knext.ExecutionContext(java, {"v": 1})
    assert context.flow_variables == {"v": 1}
    assert context.get_credential_names() == ["c1"]
    assert context.get_credentials("c1") == Credential("u", "p", "c1")
    context.set_warning(5)
    context.set_progress(1)
    context.set_progress(0.25, "quarter")
    assert java.calls == [("warning", "5"), ("progress", 1.0), ("progress", 0.25, "quarter")]
    with pytest.raises(ValueError):
        context.set_progress(2.0)
    with pytest.raises(TypeError):
        context.set_progress("half")
    assert context.is_canceled() is True
    assert context.get_workflow_data_area_dir().replace("\\", "/") == "/wf/data"
    dialog = knext.DialogCreationContext(java, {}, lambda specs, port_map: list(specs))
    assert dialog.get_input_specs() == ["spec"]
    assert dialog.get_credential_names() == ["c1"]


def test_column_parameter_defaults_to_no_column_and_takes_any_name() -> None:
    class Node:
        column = knext.ColumnParameter(
            "Column", "A string column", port_index=1, include_none_column=True
        )

    node = Node()
    assert node.column is None
    node.column = "text"
    assert node.column == "text"
    node.column = knext.ColumnParameter.NONE
    assert node.column == "<none>"
    assert Node().column is None
