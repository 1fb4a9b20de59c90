// Package shopdata models Shopify orders as the REST Admin API 2024-10 renders them and
// generates realistic, reproducible shops of orders for kassa's Shopify simulator.
package shopdata
