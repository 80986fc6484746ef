namespace Backprop.MLNet.Tests.MLNet.Onnx;

/// <summary>
/// The parts of an ONNX model file the tests look at, read straight from the protobuf wire format (onnx.proto:
/// ModelProto.graph = 7; GraphProto.node = 1, initializer = 5; NodeProto.op_type = 4, attribute = 5, domain = 7;
/// AttributeProto.name = 1, f = 2; TensorProto.name = 8, float_data = 4, raw_data = 9).
/// </summary>
internal sealed record OnnxGraph(List<OnnxGraph.Node> Nodes, Dictionary<string, float[]> Initializers)
{
    public sealed record Node(string OpType, string Domain, Dictionary<string, float> FloatAttributes);

    public static OnnxGraph Parse(byte[] model)
    {
        var graph = new OnnxGraph([], []);
        foreach (var (field, bytes) in Fields(model))
        {
            if (field != 7)
            {
                continue;
            }

            foreach (var (graphField, part) in Fields(bytes))
            {
                if (graphField == 1)
                {
                    graph.Nodes.Add(ParseNode(part));
                }
                else if (graphField == 5)
                {
                    AddInitializer(graph.Initializers, part);
                }
            }
        }

        return graph;
    }

    private static Node ParseNode(byte[] bytes)
    {
        string op = "", domain = "";
        var floats = new Dictionary<string, float>();
        foreach (var (field, part) in Fields(bytes))
        {
            if (field == 4)
            {
                op = System.Text.Encoding.UTF8.GetString(part);
            }
            else if (field == 7)
            {
                domain = System.Text.Encoding.UTF8.GetString(part);
            }
            else if (field == 5)
            {
                string name = "";
                float? value = null;
                var input = new Google.Protobuf.CodedInputStream(part);
                for (uint tag; (tag = input.ReadTag()) != 0;)
                {
                    int number = Google.Protobuf.WireFormat.GetTagFieldNumber(tag);
                    if (number == 1)
                    {
                        name = input.ReadString();
                    }
                    else if (number == 2)
                    {
                        value = input.ReadFloat();
                    }
                    else
                    {
                        input.SkipLastField();
                    }
                }

                if (value is float f)
                {
                    floats[name] = f;
                }
            }
        }

        return new Node(op, domain, floats);
    }

    private static void AddInitializer(Dictionary<string, float[]> initializers, byte[] bytes)
    {
        string name = "";
        var values = new List<float>();
        var input = new Google.Protobuf.CodedInputStream(bytes);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            int number = Google.Protobuf.WireFormat.GetTagFieldNumber(tag);
            var wire = Google.Protobuf.WireFormat.GetTagWireType(tag);
            if (number == 8)
            {
                name = input.ReadString();
            }
            else if (number == 4 && wire == Google.Protobuf.WireFormat.WireType.LengthDelimited)
            {
                byte[] packed = input.ReadBytes().ToByteArray();
                for (int i = 0; i < packed.Length; i += 4)
                {
                    values.Add(BitConverter.ToSingle(packed, i));
                }
            }
            else if (number == 4)
            {
                values.Add(input.ReadFloat());
            }
            else if (number == 9)
            {
                byte[] raw = input.ReadBytes().ToByteArray();
                for (int i = 0; i < raw.Length; i += 4)
                {
                    values.Add(BitConverter.ToSingle(raw, i));
                }
            }
            else
            {
                input.SkipLastField();
            }
        }

        initializers[name] = [.. values];
    }

    /// <summary>The length-delimited fields of one message, by field number (other wire types are skipped).</summary>
    private static IEnumerable<(int Field, byte[] Bytes)> Fields(byte[] message)
    {
        var input = new Google.Protobuf.CodedInputStream(message);
        var fields = new List<(int, byte[])>();
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            if (Google.Protobuf.WireFormat.GetTagWireType(tag) == Google.Protobuf.WireFormat.WireType.LengthDelimited)
            {
                fields.Add((Google.Protobuf.WireFormat.GetTagFieldNumber(tag), input.ReadBytes().ToByteArray()));
            }
            else
            {
                input.SkipLastField();
            }
        }

        return fields;
    }
}
