#include "ledger/StagingStore.h"

#include "ledger/AuditLog.h"
#include "ledger/LedgerInternals.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <set>
#include <stdexcept>

namespace acd {

using ledger::insertSkips;
using ledger::nowIso;
using ledger::SmallCacheWhileSorting;
using ledger::Stage;

namespace {

/// Where a cycle keeps the carts it read (account numbers among them) until it has decided.
const char* const StagingTables[] = {"candidates", "candidate_lines", "chosen"};

/// The columns of a staged cart, in candidates and in chosen alike.
const char* const CartColumns = "cart_id, modified_at, cart_type, channel_id, total_amount";

/// Binds a cart's columns (CartColumns' order) from parameter `first` on.
void bindCart(SQLite::Statement& statement, int first, const Cart& cart)
{
    statement.bind(first, cart.id);
    statement.bind(first + 1, cart.modifiedDateTime->toIso());
    statement.bind(first + 2, cart.cartTypeValue);
    statement.bind(first + 3, cart.channelId);
    statement.bind(first + 4, cart.totalAmount);
}

} // namespace

StagingStore::StagingStore(SQLite::Database& db, AuditLog& audit, const std::optional<KeyedHash>& hash)
    : _db(db), _audit(audit), _hash(hash)
{}

int StagingStore::stageCandidates(std::int64_t cycleId, const std::string& oun,
                                  const std::vector<Cart>& carts)
{
    for (const Cart& cart : carts)
    {
        if (cart.customerId.empty() || cart.lines.empty() || !cart.modifiedDateTime)
            throw std::invalid_argument(
                "stageCandidates: cart " + cart.id +
                " is not eligible (it needs a customer, lines and a ModifiedDateTime); "
                "record it with recordSkips instead");
    }
    SQLite::Transaction transaction(_db, SQLite::TransactionBehavior::IMMEDIATE);
    // Appended as they come, without any index but the key (migrations 0006, 0009): a cart read
    // twice in one cycle (paging while it changes) is sorted out by resolveSuperseded.
    SQLite::Statement insert(_db, std::string(R"sql(
        INSERT INTO candidates (cycle_id, customer_id, )sql") +
                                      CartColumns + R"sql()
        SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
        WHERE NOT EXISTS (SELECT 1 FROM notifications
                          WHERE oun = ?8 AND cart_id = ?3 AND modified_at = ?4 AND stage = ?9))sql");
    SQLite::Statement insertLine(_db, R"sql(
        INSERT INTO candidate_lines
            (cycle_id, candidate_id, line_no, line_id, product_id, item_id, quantity, price)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))sql");
    int staged = 0;
    for (const Cart& cart : carts)
    {
        insert.reset();
        insert.bind(1, cycleId);
        insert.bind(2, cart.customerId);
        bindCart(insert, 3, cart);
        insert.bind(8, oun);
        insert.bind(9, Stage);
        if (insert.exec() == 0)
            continue;
        ++staged;
        const std::int64_t candidate = _db.getLastInsertRowid();
        for (std::size_t i = 0; i < cart.lines.size(); ++i)
        {
            const CartLine& line = cart.lines[i];
            insertLine.reset();
            insertLine.bind(1, cycleId);
            insertLine.bind(2, candidate);
            insertLine.bind(3, static_cast<std::int64_t>(i));
            insertLine.bind(4, line.lineId);
            insertLine.bind(5, line.productId);
            insertLine.bind(6, line.itemId);
            insertLine.bind(7, line.quantity);
            insertLine.bind(8, line.price);
            insertLine.exec();
        }
    }
    transaction.commit();
    return staged;
}

int StagingStore::resolveSuperseded(std::int64_t cycleId, const std::string& oun)
{
    const SmallCacheWhileSorting sorting(_db);
    SQLite::Transaction transaction(_db, SQLite::TransactionBehavior::IMMEDIATE);
    // One sort of everything staged; the first row of each customer is the cart kept.
    SQLite::Statement staged(_db, std::string("SELECT customer_id, id, ") + CartColumns + R"sql(
        FROM candidates
        WHERE cycle_id = ?1
        ORDER BY customer_id, modified_at DESC, cart_id DESC)sql");
    staged.bind(1, cycleId);
    SQLite::Statement choose(_db, std::string("INSERT INTO chosen (cycle_id, customer_id, candidate_id, ") +
                                      CartColumns + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    const std::string now = nowIso();
    std::vector<SkippedCart> skips;
    int superseded = 0;
    const auto recordSkipped = [&] {
        insertSkips(_db, _audit, _hash ? &*_hash : nullptr, cycleId, oun, skips, now);
        superseded += static_cast<int>(skips.size());
        skips.clear();
    };
    std::string customer; // staged carts always have one: "" is before the first
    std::set<std::pair<std::string, std::string>> seen; // (cart, modification) of this customer
    while (staged.executeStep())
    {
        std::string rowCustomer = staged.getColumn(0).getString();
        std::string cartId = staged.getColumn(2).getString();
        std::string modifiedAt = staged.getColumn(3).getString();
        if (rowCustomer != customer)
        {
            customer = std::move(rowCustomer);
            choose.reset();
            choose.bind(1, cycleId);
            choose.bind(2, customer);
            choose.bind(3, staged.getColumn(1).getInt64());
            choose.bind(4, cartId);
            choose.bind(5, modifiedAt);
            choose.bind(6, staged.getColumn(4).getInt());
            choose.bind(7, staged.getColumn(5).getInt64());
            choose.bind(8, staged.getColumn(6).getString());
            choose.exec();
            seen.clear();
            seen.emplace(std::move(cartId), std::move(modifiedAt));
            continue;
        }
        // The same cart and modification read twice is one cart, not a superseded one.
        if (!seen.emplace(cartId, modifiedAt).second)
            continue;
        skips.push_back({std::move(cartId), std::move(modifiedAt), customer, SkipReason::Superseded});
        if (skips.size() == 1000)
            recordSkipped();
    }
    staged.reset();
    recordSkipped();
    // Every staged cart is now chosen or recorded: the rows (account numbers) go at once; the
    // lines stay for the chosen carts until the cycle ends.
    SQLite::Statement unstage(_db, "DELETE FROM candidates WHERE cycle_id = ?1");
    unstage.bind(1, cycleId);
    unstage.exec();
    transaction.commit();
    return superseded;
}

std::vector<Cart> StagingStore::candidates(std::int64_t cycleId, const std::string& afterCustomerId,
                                           int limit)
{
    if (limit <= 0)
        throw std::invalid_argument("candidates: limit must be positive, not " + std::to_string(limit));
    // The chosen carts of this page, each with its lines; staged carts always have lines.
    SQLite::Statement query(_db, R"sql(
        SELECT c.candidate_id, c.customer_id, c.cart_id, c.modified_at, c.cart_type, c.channel_id,
               c.total_amount, l.line_id, l.product_id, l.item_id, l.quantity, l.price
        FROM (SELECT * FROM chosen
              WHERE cycle_id = ?1 AND customer_id > ?2
              ORDER BY customer_id
              LIMIT ?3) AS c
        JOIN candidate_lines AS l ON l.cycle_id = ?1 AND l.candidate_id = c.candidate_id
        ORDER BY c.customer_id, l.line_no)sql");
    query.bind(1, cycleId);
    query.bind(2, afterCustomerId);
    query.bind(3, limit);
    std::vector<Cart> carts;
    std::int64_t candidate = 0;
    while (query.executeStep())
    {
        if (carts.empty() || query.getColumn(0).getInt64() != candidate)
        {
            candidate = query.getColumn(0).getInt64();
            Cart& cart = carts.emplace_back();
            cart.customerId = query.getColumn(1).getString();
            cart.id = query.getColumn(2).getString();
            const std::string modified = query.getColumn(3).getString();
            cart.modifiedDateTime = Timestamp::parse(modified);
            if (!cart.modifiedDateTime)
                throw LedgerError("ledger candidate cart " + cart.id + " has an unreadable modified_at '" +
                                  modified + "'");
            cart.cartTypeValue = query.getColumn(4).getInt();
            cart.channelId = query.getColumn(5).getInt64();
            cart.totalAmount = query.getColumn(6).getString();
        }
        CartLine& line = carts.back().lines.emplace_back();
        line.lineId = query.getColumn(7).getString();
        line.productId = query.getColumn(8).getInt64();
        line.itemId = query.getColumn(9).getString();
        line.quantity = query.getColumn(10).getString();
        line.price = query.getColumn(11).getString();
    }
    return carts;
}

void StagingStore::clearCandidates(std::int64_t cycleId)
{
    for (const char* table : StagingTables)
    {
        SQLite::Statement remove(_db, std::string("DELETE FROM ") + table + " WHERE cycle_id = ?1");
        remove.bind(1, cycleId);
        remove.exec();
    }
}

void StagingStore::unstageCustomer(const std::string& customerId)
{
    // Lines name no customer: they go with the customer's staged and chosen carts (the lines of
    // carts already superseded go when the cycle ends).
    SQLite::Statement lines(_db, R"sql(
        DELETE FROM candidate_lines
        WHERE (cycle_id, candidate_id) IN (SELECT cycle_id, id FROM candidates WHERE customer_id = ?1
                                           UNION ALL
                                           SELECT cycle_id, candidate_id FROM chosen WHERE customer_id = ?1))sql");
    lines.bind(1, customerId);
    lines.exec();
    for (const char* table : {"candidates", "chosen"})
    {
        SQLite::Statement remove(_db, std::string("DELETE FROM ") + table + " WHERE customer_id = ?1");
        remove.bind(1, customerId);
        remove.exec();
    }
}

void StagingStore::dropInterrupted()
{
    for (const char* table : StagingTables)
        _db.exec(std::string("DELETE FROM ") + table +
                 " WHERE cycle_id IN (SELECT id FROM cycles WHERE status = 'interrupted')");
}

} // namespace acd
