using static Kybernet.Linux.Nftables.FakeNftError;

namespace Kybernet.Linux.Nftables;

/// <summary>
/// The ruleset <see cref="FakeNftables"/> models: tables with chains (base-chain properties included), rules in order,
/// sets, maps and elements, and what each command does to them, as nft 1.0.6 on Linux 6.x does it (checked against
/// them command by command). Handles are allocated as the kernel does: tables from one counter per namespace, chains,
/// sets, rules and nft's anonymous sets from one counter per table.
/// </summary>
internal sealed class FakeRuleset
{
    private List<FakeTable> _tables = [];
    private ulong _lastTableHandle;

    public IEnumerable<FakeTable> Tables => _tables.OrderBy(t => t.Definition.Family).ThenBy(t => t.Definition.Name, StringComparer.Ordinal);

    public FakeTable? Table(NftFamily family, string name) =>
        _tables.Find(t => t.Definition.Family == family && t.Definition.Name == name);

    public FakeRuleset Clone() => new() { _tables = _tables.Select(t => t.Clone()).ToList(), _lastTableHandle = _lastTableHandle };

    /// <summary>
    /// After <paramref name="attempt"/> (a clone of this ruleset) failed in the kernel: nothing of it stays, but the
    /// kernel does not give back the handles it handed out while going through the batch, so neither does this.
    /// </summary>
    public void KeepHandleCountersOf(FakeRuleset attempt)
    {
        _lastTableHandle = attempt._lastTableHandle;
        foreach (var table in _tables)
        {
            if (attempt.Table(table.Definition.Family, table.Definition.Name) is { } tried && tried.Handle == table.Handle)
                table.LastHandle = tried.LastHandle;
        }
    }

    /// <summary>Applies one command, or throws a <see cref="FakeNftError"/> having changed nothing but handle counters.</summary>
    public void Execute(NftCommand command)
    {
        switch (command.Object)
        {
            case NftTable table: ExecuteTable(command.Verb, table); break;
            case NftChain chain: ExecuteChain(command.Verb, chain); break;
            case NftRule rule: ExecuteRule(command.Verb, rule); break;
            case NftSet or NftMap: ExecuteSet(command.Verb, command.Object); break;
            case NftElement element: ExecuteElement(command.Verb, element); break;
            default: throw new ArgumentException($"unknown nftables object {command.Object}", nameof(command));
        }
    }

    private void ExecuteTable(NftVerb verb, NftTable definition)
    {
        var table = Table(definition.Family, definition.Name);
        switch (verb)
        {
            case NftVerb.Add or NftVerb.Create when table is not null:
                if (verb == NftVerb.Create)
                    throw Kernel(Exists);
                return; // an existing table keeps its comment
            case NftVerb.Add or NftVerb.Create:
                _tables.Add(new FakeTable(definition, ++_lastTableHandle));
                return;
            case NftVerb.Flush:
                // Rules only: sets and maps keep their elements.
                foreach (var chain in (table ?? throw Kernel(NoSuchFile)).Chains)
                    chain.Rules.Clear();
                return;
            case NftVerb.Delete:
                _tables.Remove(table ?? throw Kernel(NoSuchFile));
                return;
        }
    }

    private void ExecuteChain(NftVerb verb, NftChain definition)
    {
        var table = Table(definition.Table.Family, definition.Table.Name)
            ?? throw (verb == NftVerb.Flush ? Kernel(NoSuchFile) : Nft(NoSuchFile));
        var chain = table.Chain(definition.Name);
        switch (verb)
        {
            case NftVerb.Add or NftVerb.Create:
                int? priority = null;
                if (definition.Hook is { } hook)
                    priority = NftPriorities.Resolve(definition.Priority!, table.Definition.Family, hook, out var refused) ?? throw Nft(refused!);
                if (chain is null)
                {
                    table.Chains.Add(new FakeChain(definition, table.NextHandle(), priority));
                    return;
                }
                if (verb == NftVerb.Create || (definition.IsBaseChain && !chain.Definition.IsBaseChain))
                    throw Kernel(Exists);
                if (!definition.IsBaseChain)
                    return; // a plain add of a base chain's name changes nothing
                if (definition.Type != chain.Definition.Type || definition.Hook != chain.Definition.Hook || priority != chain.Priority)
                    throw Kernel(NotSupported);
                if (definition.Policy is { } policy)
                    chain.Definition = chain.Definition with { Policy = policy };
                return;
            case NftVerb.Flush:
                (chain ?? throw Kernel(NoSuchFile)).Rules.Clear();
                return;
            case NftVerb.Delete:
                if (chain is null)
                    throw Kernel(NoSuchFile);
                if (table.IsReferenced(chain))
                    throw Kernel(Busy);
                table.Chains.Remove(chain); // with its rules
                return;
        }
    }

    private void ExecuteRule(NftVerb verb, NftRule definition)
    {
        var table = Table(definition.Chain.Table.Family, definition.Chain.Table.Name) ?? throw Nft(NoSuchFile);
        if (verb == NftVerb.Delete)
        {
            var chain = table.Chain(definition.Chain.Name) ?? throw Kernel(NoSuchFile);
            var rule = chain.Rules.Find(r => r.Handle == definition.Handle) ?? throw Kernel(NoSuchFile);
            chain.Rules.Remove(rule);
            return;
        }

        // nft checks named sets itself; then it sends the rule's anonymous sets, then the rule.
        foreach (var set in FakeRule.SetReferencesIn(definition.Text))
        {
            if (table.Set(set) is null)
                throw Nft(NoSuchFile);
        }
        for (int i = FakeRule.AnonymousSets(definition.Text); i > 0; i--)
            table.NextHandle();
        var target = table.Chain(definition.Chain.Name) ?? throw Kernel(NoSuchFile);
        var added = new FakeRule(table.NextHandle(), definition);
        if (added.Jumps.Any(jump => table.Chain(jump) is null))
            throw Kernel(NoSuchFile);
        if (verb == NftVerb.Insert)
            target.Rules.Insert(0, added);
        else
            target.Rules.Add(added);
    }

    private void ExecuteSet(NftVerb verb, NftObject definition)
    {
        var (tableRef, name, isMap) = definition switch
        {
            NftSet s => (s.Table, s.Name, false),
            NftMap m => (m.Table, m.Name, true),
            _ => throw new ArgumentException($"not a set or map: {definition}", nameof(definition)),
        };
        var table = Table(tableRef.Family, tableRef.Name) ?? throw (verb == NftVerb.Delete ? Kernel(NoSuchFile) : Nft(NoSuchFile));
        var set = table.Set(name);
        switch (verb)
        {
            case NftVerb.Add or NftVerb.Create:
                var declared = new FakeSet(definition, 0);
                if (set is null)
                    table.Sets.Add(new FakeSet(definition, table.NextHandle()));
                else if (verb == NftVerb.Create || !set.SameShape(declared))
                    throw Kernel(Exists);
                return; // an existing set keeps its comment
            case NftVerb.Flush:
                // nft looks the name up as the kind the command says: "flush set" of a map is not found.
                if (set is null || set.IsMap != isMap)
                    throw Nft(NoSuchFile);
                set.Elements.Clear();
                return;
            case NftVerb.Delete:
                // The kernel has one kind: "delete set" removes a map of that name too.
                if (set is null)
                    throw Kernel(NoSuchFile);
                if (table.Chains.Any(c => c.Rules.Any(r => r.SetReferences.Contains(name))))
                    throw Kernel(Busy);
                table.Sets.Remove(set);
                return;
        }
    }

    private void ExecuteElement(NftVerb verb, NftElement definition)
    {
        var table = Table(definition.Table.Family, definition.Table.Name) ?? throw Nft(NoSuchFile);
        var set = table.Set(definition.SetName) ?? throw Nft(NoSuchFile);
        var key = FakeElement.KeyOf(definition);
        if (verb == NftVerb.Delete)
        {
            if (!set.Elements.Remove(key))
                throw Kernel(NoSuchFile);
            return;
        }

        if (definition.Value is not null && !set.IsMap)
            throw Nft("set is not a map");
        if (definition.Value is null && set.IsMap)
            throw Kernel(Invalid);
        var element = new FakeElement(definition);
        if (element.Jump is { } jump && table.Chain(jump) is null)
            throw Kernel(NoSuchFile);
        if (set.Elements.TryGetValue(key, out var existing))
        {
            // The kernel takes an add of an element it has only if it is the same: same data for a map.
            if (verb == NftVerb.Create || existing.Value != element.Value)
                throw Kernel(Exists);
            return; // the first one's comment stays
        }
        set.Elements.Add(key, element);
    }
}
