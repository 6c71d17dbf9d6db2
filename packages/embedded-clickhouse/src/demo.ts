import { httpQuery, type QueryTarget } from "./http-query.js";

/** The database the demo dataset lives in. */
export const DEMO_DATABASE = "demo";

interface DemoTable {
  name: string;
  create: string;
  /** Fills the table; runs only while the table is empty. */
  fill: string;
}

const DEMO_TABLES: readonly DemoTable[] = [
  {
    name: "products",
    create: `CREATE TABLE IF NOT EXISTS demo.products (
      product_id UInt32 COMMENT 'Product identifier',
      name String COMMENT 'Product name as shown in the shop',
      category LowCardinality(String) COMMENT 'Product category: Coffee, Tea, Equipment or Snacks',
      price Decimal(10, 2) COMMENT 'Current unit price in euros',
      in_stock Bool COMMENT 'Whether the product can be ordered today'
    ) ENGINE = MergeTree ORDER BY product_id
    COMMENT 'Products sold by a small online coffee shop'`,
    fill: `INSERT INTO demo.products VALUES
      (1, 'Ethiopia Yirgacheffe 250g', 'Coffee', 12.50, true),
      (2, 'Colombia Huila 250g', 'Coffee', 11.00, true),
      (3, 'Espresso Blend 1kg', 'Coffee', 34.90, true),
      (4, 'Decaf Brazil 250g', 'Coffee', 10.50, false),
      (5, 'Sencha Green Tea 100g', 'Tea', 8.90, true),
      (6, 'Earl Grey 100g', 'Tea', 7.50, true),
      (7, 'Pour-over Dripper', 'Equipment', 24.00, true),
      (8, 'Hand Grinder', 'Equipment', 59.00, true),
      (9, 'Gooseneck Kettle', 'Equipment', 45.00, false),
      (10, 'Almond Biscotti', 'Snacks', 4.20, true),
      (11, 'Dark Chocolate 70%', 'Snacks', 3.80, true),
      (12, 'Chai Masala 100g', 'Tea', 9.40, true)`,
  },
  {
    name: "customers",
    create: `CREATE TABLE IF NOT EXISTS demo.customers (
      customer_id UInt32 COMMENT 'Customer identifier',
      name String COMMENT 'Customer full name',
      city String COMMENT 'City of the delivery address',
      country LowCardinality(String) COMMENT 'Country of the delivery address (ISO 3166-1 alpha-2)',
      signed_up Date COMMENT 'Day the customer created an account'
    ) ENGINE = MergeTree ORDER BY customer_id
    COMMENT 'Customers of the coffee shop'`,
    fill: `INSERT INTO demo.customers VALUES
      (1, 'Ada Lovelace', 'London', 'GB', '2023-01-15'),
      (2, 'Alan Turing', 'Manchester', 'GB', '2023-02-03'),
      (3, 'Grace Hopper', 'New York', 'US', '2023-03-21'),
      (4, 'Katherine Johnson', 'Hampton', 'US', '2023-05-09'),
      (5, 'Marie Curie', 'Paris', 'FR', '2023-06-30'),
      (6, 'Emmy Noether', 'Erlangen', 'DE', '2023-08-12'),
      (7, 'Hedy Lamarr', 'Vienna', 'AT', '2023-09-01'),
      (8, 'Sofia Kovalevskaya', 'Stockholm', 'SE', '2023-11-17'),
      (9, 'Edsger Dijkstra', 'Rotterdam', 'NL', '2024-01-08'),
      (10, 'Barbara Liskov', 'Boston', 'US', '2024-02-29')`,
  },
  {
    name: "orders",
    create: `CREATE TABLE IF NOT EXISTS demo.orders (
      order_id UInt32 COMMENT 'Order identifier',
      customer_id UInt32 COMMENT 'Customer who placed the order (demo.customers.customer_id)',
      product_id UInt32 COMMENT 'Product ordered (demo.products.product_id)',
      quantity UInt8 COMMENT 'Number of units ordered',
      ordered_at DateTime('UTC') COMMENT 'When the order was placed (UTC)',
      status Enum8('delivered' = 1, 'shipped' = 2, 'cancelled' = 3) COMMENT 'Fulfilment status'
    ) ENGINE = MergeTree ORDER BY (ordered_at, order_id)
    COMMENT 'One row per order line during 2024; joins to demo.customers and demo.products'`,
    // Deterministic pseudo-random orders: the same rows on every machine.
    fill: `INSERT INTO demo.orders
      SELECT
        toUInt32(number + 1),
        toUInt32(sipHash64(number, 'customer') % 10 + 1),
        toUInt32(sipHash64(number, 'product') % 12 + 1),
        toUInt8(sipHash64(number, 'quantity') % 4 + 1),
        toDateTime('2024-01-01 00:00:00', 'UTC') + toIntervalSecond(sipHash64(number, 'time') % (366 * 86400)),
        CAST(if(sipHash64(number, 'status') % 20 = 0, 'cancelled',
             if(sipHash64(number, 'time') % (366 * 86400) > 355 * 86400, 'shipped', 'delivered')),
             'Enum8(\\'delivered\\' = 1, \\'shipped\\' = 2, \\'cancelled\\' = 3)')
      FROM numbers(2000)`,
  },
];

/**
 * Creates the `demo` database (a small coffee shop: products, customers, orders, with table and
 * column comments) unless it is already there. Idempotent: tables that have rows are left alone.
 * `target` must be allowed to create databases and tables.
 */
export async function loadDemoDataset(target: QueryTarget): Promise<void> {
  await httpQuery(
    target,
    `CREATE DATABASE IF NOT EXISTS ${DEMO_DATABASE} COMMENT 'Demo data: a small online coffee shop'`,
  );
  for (const table of DEMO_TABLES) {
    await httpQuery(target, table.create);
    const rows = await httpQuery(target, `SELECT count() FROM ${DEMO_DATABASE}.${table.name}`);
    if (rows.trim() === "0") await httpQuery(target, table.fill);
  }
}
